/** Secrets Manager (JSON 1.1 operation names and shapes): string secrets with a current version. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { StackClock } from '../clock';
import { LocalApiError } from '../api-error';
import { secretArn } from './aws-names';

export class SecretsManagerError extends LocalApiError {}

interface StoredSecret {
  arn: string;
  name: string;
  versionId: string;
  secretString: string;
  createdAtMs: number;
}

type JsonObject = Record<string, unknown>;

export class SecretsService {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly clock: StackClock) {}

  /** Creates the secret or replaces its value with a new current version. */
  put(name: string, secretString: string): StoredSecret {
    const existing = this.secrets.get(name);
    const secret: StoredSecret = {
      // Like AWS, a secret's ARN ends in a random six-character suffix.
      arn: existing?.arn ?? secretArn(name, randomBytes(3).toString('hex')),
      name,
      versionId: randomUUID(),
      secretString,
      createdAtMs: this.clock.nowMs(),
    };
    this.secrets.set(name, secret);
    return secret;
  }

  handle(operation: string, input: JsonObject): JsonObject {
    switch (operation) {
      case 'GetSecretValue': {
        const secret = this.find(input.SecretId);
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: secret.versionId,
          SecretString: secret.secretString,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: secret.createdAtMs / 1000,
        };
      }
      case 'CreateSecret': {
        const name = String(input.Name);
        if (this.secrets.has(name)) {
          throw new SecretsManagerError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
        }
        const secret = this.put(name, String(input.SecretString ?? ''));
        return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
      }
      case 'PutSecretValue': {
        const secret = this.put(this.find(input.SecretId).name, String(input.SecretString ?? ''));
        return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
      }
      default:
        throw new SecretsManagerError('InvalidRequestException', `${operation} is not supported by the local stack.`);
    }
  }

  /** The full ARN (with its random suffix) of the secret a SecretId names, if it exists. */
  arnOf(secretId: string): string | undefined {
    return this.lookup(secretId)?.arn;
  }

  /** SecretId is a name or a full ARN. */
  private lookup(secretId: string): StoredSecret | undefined {
    return this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
  }

  private find(secretId: unknown): StoredSecret {
    const secret = this.lookup(String(secretId));
    if (!secret) throw new SecretsManagerError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }
}
