/** The default branch of an exhaustive `switch` over a union: a compile error if a member is unhandled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
