/** CDK app entry (cdk.json runs it with tsx). The config file is autoredrive.config.json unless `-c configFile=FILE` or AUTOREDRIVE_CONFIG_FILE names another. */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../core/config';
import { addAutoRedriveStacks, addPolicyChecks, configFilePath, readConfigFile } from '../lib/app';

const app = new App();
const file = configFilePath(app);
try {
  addAutoRedriveStacks(app, readConfigFile(file));
} catch (error) {
  // A config mistake is the operator's to fix: one message naming every bad field and the file, no stack trace.
  if (error instanceof ConfigError) {
    console.error((error.source === undefined ? new ConfigError(error.problems, file) : error).message);
    process.exit(1);
  }
  throw error;
}
addPolicyChecks(app);
app.synth();
