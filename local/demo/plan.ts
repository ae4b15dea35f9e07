/**
 * Turns a scenario into a timeline of actions at virtual offsets: execution starts (named in start
 * order), operator stops, clock jumps, fault changes and clicks on approval messages.
 */
import type { ExecutionGroup, Scenario } from './scenario';

export interface PlannedExecution {
  name: string;
  /** 1-based, in start order. */
  index: number;
  group: ExecutionGroup;
  input: unknown;
  startOffsetMs: number;
}

export type PlannedAction =
  | { kind: 'start'; atOffsetMs: number; execution: PlannedExecution }
  | { kind: 'stop'; atOffsetMs: number; execution: PlannedExecution }
  | { kind: 'jump'; atOffsetMs: number; jumpMs: number }
  | { kind: 'faults'; atOffsetMs: number; faults: NonNullable<Scenario['timeline'][number]['faults']> }
  | { kind: 'clicks'; atOffsetMs: number; clicks: NonNullable<Scenario['timeline'][number]['clicks']> }
  | { kind: 'deploy'; atOffsetMs: number; deploy: NonNullable<Scenario['timeline'][number]['deploy']> };

export interface ScenarioPlan {
  executions: PlannedExecution[];
  /** Sorted by offset; at one offset, in the order listed (starts before stops before timeline steps). */
  actions: PlannedAction[];
}

export function planScenario(scenario: Scenario): ScenarioPlan {
  const starts = scenario.executions.flatMap((group, groupIndex) =>
    Array.from({ length: group.count }, (_, i) => ({
      group,
      order: groupIndex * 1_000_000 + i,
      startOffsetMs: Math.round((group.startAtSeconds + (group.count > 1 ? (group.spreadSeconds * i) / (group.count - 1) : 0)) * 1000),
    })),
  );
  starts.sort((a, b) => a.startOffsetMs - b.startOffsetMs || a.order - b.order);
  const digits = Math.max(4, String(starts.length).length);
  const executions = starts.map(({ group, startOffsetMs }, i): PlannedExecution => {
    const name = `${group.namePrefix}${String(i + 1).padStart(digits, '0')}`;
    return { name, index: i + 1, group, startOffsetMs, input: fillTemplate(group.input, { name, index: String(i + 1) }) };
  });

  const actions: PlannedAction[] = [
    ...executions.map((execution): PlannedAction => ({ kind: 'start', atOffsetMs: execution.startOffsetMs, execution })),
    ...executions
      .filter((execution) => execution.group.stopAfterSeconds !== undefined)
      .map((execution): PlannedAction => ({ kind: 'stop', atOffsetMs: execution.startOffsetMs + execution.group.stopAfterSeconds! * 1000, execution })),
    ...scenario.timeline.flatMap((step): PlannedAction[] => {
      const atOffsetMs = step.atSeconds * 1000;
      return [
        ...(step.faults ? [{ kind: 'faults' as const, atOffsetMs, faults: step.faults }] : []),
        ...(step.clicks ? [{ kind: 'clicks' as const, atOffsetMs, clicks: step.clicks }] : []),
        ...(step.deploy ? [{ kind: 'deploy' as const, atOffsetMs, deploy: step.deploy }] : []),
        ...(step.jumpSeconds !== undefined ? [{ kind: 'jump' as const, atOffsetMs, jumpMs: step.jumpSeconds * 1000 }] : []),
      ];
    }),
  ];
  // A stable sort keeps the listed order at equal offsets.
  actions.sort((a, b) => a.atOffsetMs - b.atOffsetMs);
  return { executions, actions };
}

/** Replaces `{{key}}` in every string inside `value`. */
export function fillTemplate(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{\{(\w+)\}\}/g, (match, key: string) => vars[key] ?? match);
  if (Array.isArray(value)) return value.map((item) => fillTemplate(item, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillTemplate(item, vars)]));
  }
  return value;
}
