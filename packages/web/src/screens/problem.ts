import { h } from '../dom.ts';
import { describeProblem, type ProblemCode } from '../problems.ts';

export interface ProblemAction {
  label: string;
  run: () => void;
}

/** A full-screen explanation of what went wrong, with the ways forward as buttons. */
export function showProblem(root: HTMLElement, code: ProblemCode, actions: ProblemAction[]): () => void {
  const problem = describeProblem(code);
  root.replaceChildren(
    h(
      'section',
      { class: 'screen problem', 'data-problem': code, role: 'alert' },
      h('h1', { tabindex: -1 }, problem.title),
      h('p', {}, problem.advice),
      h('div', { class: 'actions' }, ...actions.map((a, i) => h('button', { class: i === 0 ? 'primary' : '', onclick: a.run }, a.label))),
    ),
  );
  return () => {};
}
