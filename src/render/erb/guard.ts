/**
 * A hash marked with KEY_GUARD refuses to read some keys, even to say whether they exist: `ENV` in
 * cluster.yml.erb shows only the variables the user allows, and reading another is an error that says how
 * to allow it. The guard returns that error for a refused key.
 */
export const KEY_GUARD = Symbol('key guard')

export type KeyGuard = (key: string) => { message: string; hint: string } | undefined
