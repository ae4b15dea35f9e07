/**
 * A redrive "continues the failed execution from the unsuccessful step and uses the same input"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html). When that step is a
 * Fail state, often reached from a Catch after the real error, the rerun enters the same Fail state with
 * the same input and fails again: no redrive can help, only a restart on a definition that does not end
 * there. Said where the history is read: `explain` and the APPROVAL_NEEDED alert, which read it anyway,
 * and the GAVE_UP alert, which reads one page on giving up.
 */
export const FAIL_STATE_ENTERED_EVENT = 'FailStateEntered';

/** Where an execution failed, as alerts and the ledger's attempt log carry it. */
export interface FailedStateFields {
  failedState: string;
  /** Only ever true: absent means a state of another type. */
  failedInFailState?: true;
}

/** The fields for a state name as read (none when no state was read). */
export function failedStateFields(stateName: string | undefined, failState: boolean | undefined): FailedStateFields | undefined {
  return stateName === undefined ? undefined : { failedState: stateName, ...(failState && { failedInFailState: true }) };
}

/** The failed state as on-call should read it: a Fail state is said to be one, with what to do instead. */
export function failedStateText(stateName: string, failState: boolean | undefined): string {
  return failState ? `${stateName} (a Fail state: a redrive reruns it with the same input and fails again; fix forward with \`sfn-autoredrive restart\`)` : stateName;
}
