/** The scenario schema takes the state machine and execution names AWS takes. */
import { parseScenario, ScenarioError } from '../../../local/demo/scenario';

const scenario = (stateMachine: string, namePrefix: string) => ({
  name: 'names',
  config: { watch: { stateMachineNamePrefixes: ['orders.'] } },
  stateMachines: [{ name: stateMachine, definition: { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } } }],
  executions: [{ label: 'one', stateMachine, namePrefix }],
});

describe('scenario names', () => {
  it.each([
    ['orders.v2', 'commande-été-'],
    ['注文', '注文.'],
  ])('accepts the state machine %j with execution name prefix %j', (stateMachine, namePrefix) => {
    const parsed = parseScenario(scenario(stateMachine, namePrefix), 'test');
    expect(parsed.stateMachines[0].name).toBe(stateMachine);
    expect(parsed.executions[0]).toMatchObject({ stateMachine, namePrefix });
  });

  it.each([
    ['a state machine name with a space', scenario('orders v2', 'exec-'), 'stateMachines.0.name'],
    ['a state machine name with a slash', scenario('orders/v2', 'exec-'), 'stateMachines.0.name'],
    ['an execution name prefix with a colon', scenario('orders.v2', 'run:'), 'executions.0.namePrefix'],
    ['an execution name prefix of 71 characters', scenario('orders.v2', 'p'.repeat(71)), 'executions.0.namePrefix'],
  ])('rejects %s', (_label, raw, field) => {
    expect(() => parseScenario(raw, 'test')).toThrow(ScenarioError);
    expect(() => parseScenario(raw, 'test')).toThrow(field);
  });
});
