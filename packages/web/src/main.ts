import './styles.css';
import type { AppContext, Screen } from './app-context.ts';
import { browserCertificate } from './browser-certificate.ts';
import { drawBeforeNextFrame } from './dom.ts';
import { parseRoute, pathOf, type Route } from './routes.ts';
import { showHome } from './screens/home.ts';
import { showLobby } from './screens/lobby.ts';
import { showProblem } from './screens/problem.ts';
import { showRoom } from './screens/room.ts';
import { registerShellWorker } from './shell-worker.ts';

const root = document.getElementById('app')!;
let undoScreen: (() => void) | undefined;

const screens: { [S in Route['screen']]: Screen<Extract<Route, { screen: S }>> } = {
  home: showHome,
  lobby: showLobby,
  room: showRoom,
  'bad-link': (el, context) => showProblem(el, 'room-not-found', [{ label: 'Go to start', run: () => context.navigate({ screen: 'home' }) }]),
};

const ctx: AppContext = {
  handoff: undefined,
  navigate(route, options) {
    const path = pathOf(route);
    if (options?.replace) history.replaceState(null, '', path);
    else if (path !== location.pathname) history.pushState(null, '', path);
    render(route);
  },
};

/**
 * Moves focus to the screen's heading, so keyboard and screen-reader users
 * land on it, before the screen is first painted. Focusing lays the page out:
 * done in the click that joins a call, it held the call's first messages back.
 */
const focusHeading = drawBeforeNextFrame(() => root.querySelector<HTMLElement>('h1')?.focus());

function render(route: Route): void {
  undoScreen?.();
  undoScreen = undefined;
  root.replaceChildren();
  const show = screens[route.screen] as Screen;
  undoScreen = show(root, ctx, route);
  focusHeading();
}

window.addEventListener('popstate', () => render(parseRoute(location.pathname)));
// Leaving the page (tab closed, navigation, reload) ends the screen: media released, goodbye sent.
window.addEventListener('pagehide', () => {
  undoScreen?.();
  undoScreen = undefined;
});
// Back from the browser's page cache: draw the screen again, since pagehide undid it.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) render(parseRoute(location.pathname));
  registerShellWorker();
});

render(parseRoute(location.pathname));
registerShellWorker();
// Ready long before anyone presses Join: every call's connections use it.
void browserCertificate();
