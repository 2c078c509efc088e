import type { Selectable } from 'kysely';
import type { Db, GatewaysTable } from './database.js';

/** What the control plane knows about one gateway process. */
export interface GatewayRecord {
  readonly nodeId: string;
  readonly cluster: string;
  readonly transport: 'grpc' | 'nats';
  /** Identity the gateway sent: cloud, region, zone, build, labels. */
  readonly node: Readonly<Record<string, unknown>>;
  /** Revision and snapshot hash the gateway serves (0 and "" before its first ACK). */
  readonly appliedRevision: number;
  readonly appliedHash: string;
  readonly lastAckAt: Date | null;
  readonly lastNackAt: Date | null;
  readonly lastNackError: string | null;
  /** The revision the last NACK rejected. */
  readonly lastNackRevision: number | null;
  readonly lastSeen: Date;
  readonly connected: boolean;
}

export class GatewayStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async list(): Promise<readonly GatewayRecord[]> {
    const rows = await this.#db
      .selectFrom('gateways')
      .selectAll()
      .orderBy('cluster')
      .orderBy('node_id')
      .execute();
    return rows.map(toRecord);
  }

  /** Writes the given gateways (one statement); later states of a node overwrite earlier ones. */
  async upsert(records: readonly GatewayRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#db
      .insertInto('gateways')
      .values(
        records.map((r) => ({
          node_id: r.nodeId,
          cluster: r.cluster,
          transport: r.transport,
          node: JSON.stringify(r.node),
          applied_revision: r.appliedRevision,
          applied_hash: r.appliedHash,
          last_ack_at: r.lastAckAt,
          last_nack_at: r.lastNackAt,
          last_nack_error: r.lastNackError,
          last_nack_revision: r.lastNackRevision,
          last_seen: r.lastSeen,
          connected: r.connected,
        })),
      )
      .onConflict((oc) =>
        oc.column('node_id').doUpdateSet((eb) => ({
          cluster: eb.ref('excluded.cluster'),
          transport: eb.ref('excluded.transport'),
          node: eb.ref('excluded.node'),
          applied_revision: eb.ref('excluded.applied_revision'),
          applied_hash: eb.ref('excluded.applied_hash'),
          last_ack_at: eb.ref('excluded.last_ack_at'),
          last_nack_at: eb.ref('excluded.last_nack_at'),
          last_nack_error: eb.ref('excluded.last_nack_error'),
          last_nack_revision: eb.ref('excluded.last_nack_revision'),
          last_seen: eb.ref('excluded.last_seen'),
          connected: eb.ref('excluded.connected'),
        })),
      )
      .execute();
  }
}

function toRecord(row: Selectable<GatewaysTable>): GatewayRecord {
  return {
    nodeId: row.node_id,
    cluster: row.cluster,
    transport: row.transport === 'nats' ? 'nats' : 'grpc',
    node: row.node,
    appliedRevision: Number(row.applied_revision),
    appliedHash: row.applied_hash,
    lastAckAt: row.last_ack_at,
    lastNackAt: row.last_nack_at,
    lastNackError: row.last_nack_error,
    lastNackRevision: row.last_nack_revision === null ? null : Number(row.last_nack_revision),
    lastSeen: row.last_seen,
    connected: row.connected,
  };
}
