/** Who writes a condition reason: the operator in the cluster, or the control plane (from translation). */
export type ConditionSource = 'operator' | 'control plane';

export interface ConditionReason {
  readonly reason: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly setBy: readonly ConditionSource[];
  readonly meaning: string;
}

export interface ConditionReference {
  readonly type: string;
  readonly meaning: string;
  readonly reasons: readonly ConditionReason[];
}

/**
 * The status conditions every Hubpo object carries, with every reason the operator and the
 * control plane write (the contract users and tools match on). Reasons live in the programs that
 * write them; `pnpm gen` refuses to generate the CRD reference when a reason registry of theirs
 * holds a reason missing here (see scripts/gen-crd-reference.mjs).
 */
export const STATUS_CONDITIONS: readonly ConditionReference[] = Object.freeze([
  {
    type: 'Accepted',
    meaning: 'The object is valid and the control plane took it.',
    reasons: [
      { reason: 'Accepted', status: 'True', setBy: ['control plane'], meaning: 'Valid and translated.' },
      {
        reason: 'Pending',
        status: 'Unknown',
        setBy: ['operator'],
        meaning: 'Sent to the control plane; its verdict has not arrived yet.',
      },
      {
        reason: 'NotPlaced',
        status: 'Unknown',
        setBy: ['control plane'],
        meaning: 'No known cluster matches the `placement` of the object.',
      },
      {
        reason: 'TranslationFailed',
        status: 'Unknown',
        setBy: ['control plane'],
        meaning: 'Translation failed unexpectedly in a cluster; its previous snapshot stays published.',
      },
      {
        reason: 'Invalid',
        status: 'False',
        setBy: ['operator'],
        meaning: 'The control plane refused the object; the message names every field at fault.',
      },
      {
        reason: 'Conflict',
        status: 'False',
        setBy: ['operator', 'control plane'],
        meaning:
          'The name is taken on the control plane, or an older AIModel in the cluster already serves the same model name.',
      },
      {
        reason: 'InvalidRegex',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'A regular expression the gateway (JavaScript RegExp) cannot compile.',
      },
      {
        reason: 'InvalidBackend',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'A backend URL the gateway cannot use (credentials, query or fragment in it).',
      },
      {
        reason: 'InvalidTimeouts',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'A backend request timeout longer than the request timeout.',
      },
      {
        reason: 'InvalidEndpoint',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'An AIModel target endpoint the gateway cannot use.',
      },
      {
        reason: 'DuplicateKey',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'An API key that an older Consumer already uses.',
      },
      {
        reason: 'RefNotPermitted',
        status: 'False',
        setBy: ['operator'],
        meaning:
          'Nothing permitted is left (a Policy without a permitted target, a Route rule without a permitted backend): the object is withheld from the control plane.',
      },
    ],
  },
  {
    type: 'ResolvedRefs',
    meaning: 'Everything the object references exists and may be used.',
    reasons: [
      {
        reason: 'ResolvedRefs',
        status: 'True',
        setBy: ['control plane'],
        meaning: 'All references resolved.',
      },
      {
        reason: 'SecretNotFound',
        status: 'False',
        setBy: ['operator', 'control plane'],
        meaning:
          'A referenced Secret or key is missing, or in a namespace the operator does not watch; fixed as soon as it appears.',
      },
      {
        reason: 'RefNotPermitted',
        status: 'False',
        setBy: ['operator'],
        meaning:
          'A reference into another namespace that does not grant it (annotation `hubpo.io/allow-references-from` on the Namespace or Secret).',
      },
      {
        reason: 'ModelNotFound',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'A model name no AIModel in the cluster serves.',
      },
      {
        reason: 'RouteNotFound',
        status: 'False',
        setBy: ['control plane'],
        meaning: "A Route name that is not in the cluster's snapshot.",
      },
      {
        reason: 'TargetNotFound',
        status: 'False',
        setBy: ['control plane'],
        meaning: "A Policy target that is not in the cluster's snapshot.",
      },
    ],
  },
  {
    type: 'Programmed',
    meaning: 'A committed snapshot of every cluster the object is placed in contains this generation.',
    reasons: [
      {
        reason: 'Programmed',
        status: 'True',
        setBy: ['control plane'],
        meaning: 'In the published snapshot of every placed cluster (the message lists cluster@revision).',
      },
      {
        reason: 'Pending',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'Waiting for the next snapshot of a cluster.',
      },
      {
        reason: 'Invalid',
        status: 'False',
        setBy: ['operator', 'control plane'],
        meaning: 'Not programmed because the object was not accepted.',
      },
      {
        reason: 'Conflict',
        status: 'False',
        setBy: ['operator'],
        meaning: 'Not programmed because the name is taken on the control plane.',
      },
      {
        reason: 'RefNotPermitted',
        status: 'False',
        setBy: ['operator'],
        meaning: 'Withheld by the operator (see Accepted).',
      },
      {
        reason: 'NotPlaced',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'Not placed in any known cluster.',
      },
      {
        reason: 'TranslationFailed',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'Translation failed in a cluster; the previous snapshot is kept.',
      },
      {
        reason: 'NotDistributed',
        status: 'Unknown',
        setBy: ['control plane'],
        meaning: 'Objects of this kind are not part of gateway snapshots.',
      },
    ],
  },
  {
    type: 'Distributed',
    meaning:
      'Every connected gateway of the placed clusters serves this generation; `status.distribution` has the per-cluster counts and propagation time.',
    reasons: [
      {
        reason: 'Distributed',
        status: 'True',
        setBy: ['control plane'],
        meaning: 'Every connected gateway ACKed a revision containing this generation.',
      },
      {
        reason: 'Pending',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'Some connected gateways have not ACKed yet (the message counts them).',
      },
      {
        reason: 'NotProgrammed',
        status: 'False',
        setBy: ['control plane'],
        meaning: 'Waiting until the object is programmed.',
      },
      {
        reason: 'NoGateways',
        status: 'Unknown',
        setBy: ['control plane'],
        meaning: 'No gateway is connected in the placed clusters.',
      },
    ],
  },
]);
