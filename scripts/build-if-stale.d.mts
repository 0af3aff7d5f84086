/** Types of scripts/build-if-stale.mjs for the TypeScript tests that import it. */
export type BuildTarget = { name: string; inputs: string[]; output: string; stamp: string };
export declare const TARGETS: BuildTarget[];
export declare function staleReason(target: BuildTarget, root?: string): string | null;
