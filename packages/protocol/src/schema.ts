/**
 * A small runtime schema: each schema checks an unknown value and carries the
 * static type it admits, so a message's type is declared once and inferred.
 *
 * Why our own instead of a library: the server validates every relayed frame,
 * so validation sits on the hot path, and the browser bundle has a weight
 * budget. Checking in place (no copies) and dispatching unions by their
 * discriminant keeps both small. Objects are strict: an unknown key is an error.
 */

export interface Schema<T> {
  /** Returns undefined when `value` conforms, or a message naming the offending path. */
  check(value: unknown, path: string): string | undefined;
  /** Phantom field carrying the admitted type; never set at run time. */
  readonly _type?: T;
  readonly optional?: boolean;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

export function parse<T>(schema: Schema<T>, value: unknown): ParseResult<T> {
  const problem = schema.check(value, '$');
  return problem === undefined ? { ok: true, value: value as T } : { ok: false, problem };
}

interface StringRules {
  min?: number;
  max: number;
  pattern?: RegExp;
}

/** A string; every string schema names a maximum length, so no field is unbounded. */
export function string(rules: StringRules): Schema<string> {
  const min = rules.min ?? 0;
  return {
    check(value, path) {
      if (typeof value !== 'string') return `${path}: expected a string`;
      if (value.length < min) return `${path}: shorter than ${min}`;
      if (value.length > rules.max) return `${path}: longer than ${rules.max}`;
      if (rules.pattern && !rules.pattern.test(value)) return `${path}: malformed`;
      return undefined;
    },
  };
}

export function integer(min: number, max: number): Schema<number> {
  return {
    check(value, path) {
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${path}: expected an integer`;
      if (value < min || value > max) return `${path}: outside ${min}..${max}`;
      return undefined;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    check: (value, path) => (typeof value === 'boolean' ? undefined : `${path}: expected a boolean`),
  };
}

export function literal<const L extends string | number | boolean | null>(expected: L): Schema<L> {
  return {
    check: (value, path) => (value === expected ? undefined : `${path}: expected ${JSON.stringify(expected)}`),
  };
}

export function oneOf<const L extends string>(choices: readonly L[]): Schema<L> {
  const allowed = new Set<unknown>(choices);
  return {
    check: (value, path) => (allowed.has(value) ? undefined : `${path}: expected one of ${choices.join(', ')}`),
  };
}

export function array<T>(item: Schema<T>, maxItems: number): Schema<T[]> {
  return {
    check(value, path) {
      if (!Array.isArray(value)) return `${path}: expected an array`;
      if (value.length > maxItems) return `${path}: more than ${maxItems} items`;
      for (let i = 0; i < value.length; i++) {
        const problem = item.check(value[i], `${path}[${i}]`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    },
  };
}

/**
 * Marks an object field as optional: it may be left out, and nothing else
 * stands for "absent". `null` is refused, because the type says `T | undefined`
 * and code reading the field tests for undefined; a null let through would
 * reach that code as a value of the wrong type.
 */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { optional: true } {
  return {
    optional: true,
    check(value, path) {
      if (value === undefined) return undefined;
      if (value === null) return `${path}: null is not allowed; leave the field out`;
      return inner.check(value, path);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjectOf<S extends Shape> = Flatten<{ [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }>;

const hasOwn = Object.prototype.hasOwnProperty;

/** Longest excerpt of sender-chosen text (a key, a type) quoted in a problem, so a problem stays short and never reflects a payload back. */
const EXCERPT_CHARS = 32;

function excerpt(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A strict object: every required key present, no key outside the shape. */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> & { shape: S } {
  const entries = Object.entries(shape);
  return {
    shape,
    check(value, path) {
      if (!isPlainObject(value)) return `${path}: expected an object`;
      for (const key in value) {
        if (!hasOwn.call(shape, key)) return `${path}.${excerpt(key)}: unexpected field`;
      }
      for (const [key, field] of entries) {
        const problem = field.check(value[key], `${path}.${key}`);
        if (problem !== undefined) return problem;
      }
      return undefined;
    },
  };
}

/** An object schema whose `type` field holds a fixed tag: one member of a message union. */
export function tagged<const T extends string, S extends Shape>(tag: T, shape: S): Schema<Flatten<{ type: T } & ObjectOf<S>>> & { tag: T; shape: S } {
  const schema = object({ type: literal(tag), ...shape });
  return { tag, shape, check: schema.check } as Schema<Flatten<{ type: T } & ObjectOf<S>>> & { tag: T; shape: S };
}

/**
 * A union of tagged objects, told apart by `type` with one map lookup rather
 * than by trying each member in turn.
 */
export function union<const M extends readonly (Schema<unknown> & { tag: string })[]>(members: M): Schema<Infer<M[number]>> & { members: M } {
  const byTag = new Map<unknown, Schema<unknown>>(members.map((m) => [m.tag, m]));
  return {
    members,
    check(value, path) {
      if (!isPlainObject(value)) return `${path}: expected an object`;
      const member = byTag.get(value.type);
      if (member === undefined) return `${path}.type: unknown type ${typeof value.type === 'string' ? JSON.stringify(excerpt(value.type)) : typeof value.type}`;
      return member.check(value, path);
    },
  };
}
