/** CDK app entry (cdk.json runs it with tsx). The config file is autoredrive.config.json unless overridden. */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../core/config';
import { addAutoRedriveStacks, addNagChecks, configFilePath, readConfigFile } from '../lib/app';

const app = new App();
const file = configFilePath(app);
try {
  addAutoRedriveStacks(app, readConfigFile(file));
} catch (error) {
  // A config mistake is the operator's to fix: one message naming every bad field, no stack trace.
  if (error instanceof ConfigError) {
    console.error(`${error.message}\n(config file: ${file})`);
    process.exit(1);
  }
  throw error;
}
addNagChecks(app);
app.synth();
