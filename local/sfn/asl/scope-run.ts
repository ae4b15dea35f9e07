/**
 * What one run of a scope (the whole machine, a Parallel branch or a Map iteration) left behind. A
 * redrive resumes a scope at `stoppedAt` with that state's original input; for a Parallel or Map state
 * it reuses the `children` that succeeded and resumes the others the same way. A Distributed Map's one
 * child stands for its Map Run, which a redrive redrives (distributed-map.ts).
 */
export interface ScopeRun {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  mapRunArn?: string;
  /** `variables`: the scope's own variables when that state was entered, which a redrive restores. */
  stoppedAt?: { stateName: string; input: unknown; children?: ScopeRun[]; variables?: Record<string, unknown> };
}
