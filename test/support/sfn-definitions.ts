/** State machine definitions that several Step Functions test files run. */

/** A Distributed Map over `$.items` labelled `Orders`, whose Standard (or Express) children run the `Work` task. */
export function distributedMap(fields: Record<string, unknown> = {}, executionType = 'STANDARD', childStates: Record<string, unknown> = {}) {
  return {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        ItemsPath: '$.items',
        Label: 'Orders',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: executionType },
          StartAt: Object.keys(childStates)[0] ?? 'Work',
          States: { ...childStates, Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work', End: true } },
        },
        ...fields,
        End: true,
      },
    },
  };
}
