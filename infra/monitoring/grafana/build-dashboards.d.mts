/** Types of build-dashboards.mjs for the TypeScript tests that import it. */
/** The dashboards by uid, as Grafana JSON models. */
export declare function buildDashboards(): Record<string, unknown>;
/** A dashboard as committed: two-space JSON with a final newline. */
export declare const render: (dashboard: unknown) => string;
