// Placeholder so the CDK construct can reference the entry while the handler is written; replaced before release.
export async function handler(): Promise<never> {
  throw new Error('handler not implemented yet');
}
