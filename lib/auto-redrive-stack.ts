/** The deployable stack: one AutoRedrive construct, nothing else. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AutoRedrive } from './auto-redrive';
import type { AutoRedriveProps } from './auto-redrive-props';

export interface AutoRedriveStackProps extends StackProps {
  /** The config, as in autoredrive.config.json; validated by the construct. */
  readonly config: AutoRedriveProps;
}

export class AutoRedriveStack extends Stack {
  public readonly autoRedrive: AutoRedrive;

  constructor(scope: Construct, id: string, props: AutoRedriveStackProps) {
    super(scope, id, {
      description: 'sfn-autoredrive: automatic redrive of failed Step Functions executions',
      ...props,
    });
    this.autoRedrive = new AutoRedrive(this, 'AutoRedrive', props.config);
  }
}
