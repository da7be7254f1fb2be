/**
 * Keys refused in session data, in replication messages and in stored hash fields: assigning one
 * of them to a plain object reaches its prototype instead of setting a field (prototype
 * pollution), so input that carries them is refused before it is used as an object key.
 * Source of the rule: OWASP "Prototype Pollution Prevention Cheat Sheet".
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
