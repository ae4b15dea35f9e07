/** The authorizer alone: the caller from the SigV4 header, allow, implicit and explicit deny as AWS words them. */
import { accessKeyIdOf, deniedMessage, IamAuthorizer } from '../../../local/iam/authorizer';

const ROLE = 'arn:aws:sts::123456789012:assumed-role/app-role/app';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders';
const header = (accessKeyId: string) => `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261124/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

describe('IamAuthorizer', () => {
  const authorizer = IamAuthorizer.load(
    new Map([
      ['ADMIN', { arn: 'arn:aws:iam::123456789012:root' }],
      [
        'APP',
        {
          arn: ROLE,
          policy: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'dynamodb:*', Resource: TABLE },
              { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: '*' },
            ],
          },
        },
      ],
    ]),
  );

  it('reads the access key from the Credential of a SigV4 Authorization header', () => {
    expect(accessKeyIdOf(header('AKIAEXAMPLE'))).toBe('AKIAEXAMPLE');
    expect(accessKeyIdOf(undefined)).toBeUndefined();
    expect(accessKeyIdOf('Bearer token')).toBeUndefined();
  });

  it('allows what the policy allows, on every resource of the call', async () => {
    expect(await authorizer.authorize(header('APP'), [{ action: 'dynamodb:GetItem', resource: TABLE }])).toEqual({ allowed: true });
    const other = 'arn:aws:dynamodb:us-east-1:123456789012:table/payroll';
    const denied = await authorizer.authorize(header('APP'), [{ action: 'dynamodb:BatchGetItem', resource: TABLE }, { action: 'dynamodb:BatchGetItem', resource: other }]);
    expect(denied).toEqual({ allowed: false, unknownKey: false, principalArn: ROLE, action: 'dynamodb:BatchGetItem', resource: other, explicitDeny: false });
  });

  it('words an explicit deny as AWS does', async () => {
    const denied = await authorizer.authorize(header('APP'), [{ action: 'dynamodb:DeleteItem', resource: TABLE }]);
    expect(denied).toMatchObject({ allowed: false, explicitDeny: true });
    expect(deniedMessage(denied as Parameters<typeof deniedMessage>[0])).toBe(
      `User: ${ROLE} is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE} with an explicit deny in an identity-based policy`,
    );
  });

  it('lets the administrator do anything, and knows no other key', async () => {
    expect(await authorizer.authorize(header('ADMIN'), [{ action: 'states:CreateStateMachine', resource: '*' }])).toEqual({ allowed: true });
    expect(await authorizer.authorize(header('SOMEONE'), [{ action: 'dynamodb:GetItem', resource: TABLE }])).toEqual({ allowed: false, unknownKey: true });
    expect(await authorizer.authorize(undefined, [])).toEqual({ allowed: false, unknownKey: true });
  });
});
