/** The status condition of `type` on a Kubernetes object, or undefined. */
export function conditionOf(object: any, type: string): any {
  return object?.status?.conditions?.find((c: { type: string }) => c.type === type);
}
