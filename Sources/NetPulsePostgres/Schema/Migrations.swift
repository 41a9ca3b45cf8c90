public import Logging
public import PostgresNIO

/// The queue's tables, in numbered steps that `netpulse db migrate` applies in order.
///
/// A process refuses to run against a schema newer than it knows (``check(_:logger:)``): an older
/// program must never write rows whose meaning it does not know.
public enum PostgresSchema {
    /// The schema version this program writes and reads.
    public static var latestVersion: Int { steps.count }

    /// Step `n` (1-based) takes the schema from version `n - 1` to `n`; each string is one statement.
    static let steps: [[String]] = [
        [
            // Live workers: lost on a crash of the server, which also ends every worker's connection.
            """
            CREATE UNLOGGED TABLE np_worker (
                id uuid PRIMARY KEY, name text NOT NULL, hostname text NOT NULL, pid integer NOT NULL,
                capacity integer NOT NULL, running integer NOT NULL DEFAULT 0,
                started_at timestamptz NOT NULL DEFAULT now(), heartbeat_at timestamptz NOT NULL DEFAULT now())
            """,
            // The request is kept as submitted (JSON) and validated again by each worker that loads it.
            """
            CREATE TABLE np_batch (
                id uuid PRIMARY KEY, request text NOT NULL, total integer NOT NULL, pinned boolean NOT NULL,
                submitted_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz,
                result_ttl double precision NOT NULL, has_queued boolean NOT NULL DEFAULT true,
                finished_at timestamptz, purge_at timestamptz)
            """,
            // state: 0 queued, 1 running, 2 final. attempt grows at each claim: a completion names the
            // attempt it ran, so a worker whose job was taken back cannot write.
            """
            CREATE TABLE np_job (
                seq bigint GENERATED ALWAYS AS IDENTITY,
                batch_id uuid NOT NULL REFERENCES np_batch(id) ON DELETE CASCADE, idx integer NOT NULL,
                host text NOT NULL, port integer NOT NULL, username text NOT NULL, device text NOT NULL,
                pinned boolean NOT NULL, is_config boolean NOT NULL,
                state smallint NOT NULL DEFAULT 0, attempt integer NOT NULL DEFAULT 0, worker_id uuid,
                epoch bigint, started_at timestamptz, finished_at timestamptz,
                cancel_requested boolean NOT NULL DEFAULT false,
                result text, error_kind text, error_message text,
                PRIMARY KEY (batch_id, idx)) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02)
            """,
            "CREATE INDEX np_job_queued ON np_job (batch_id, idx) WHERE state = 0 AND NOT pinned",
            "CREATE INDEX np_job_pinned ON np_job (device, seq) WHERE state < 2 AND pinned",
            "CREATE INDEX np_job_open ON np_job (batch_id) WHERE state < 2",
            "CREATE INDEX np_job_running ON np_job (worker_id) WHERE state = 1",
            "CREATE INDEX np_batch_purge ON np_batch (purge_at) WHERE purge_at IS NOT NULL",
            // One owner per pinned device; epoch grows at each change of owner (the fencing token).
            """
            CREATE TABLE np_device_lease (
                device text PRIMARY KEY, worker_id uuid NOT NULL, epoch bigint NOT NULL,
                lease_until timestamptz NOT NULL)
            """,
        ],
        [
            // The API's record of a batch (masked devices, rejections), read back after a restart.
            "ALTER TABLE np_batch ADD COLUMN annotation text",
            // Who submitted the batch (over HTTP, "key-N" for the API key's index: never the key). A pinned
            // session is reused only by jobs of the same tenant, as in memory.
            "ALTER TABLE np_batch ADD COLUMN tenant text",
            // Results are streamed in the order they became final: each job gets a number when it does,
            // and its batch is notified (one notification per batch and transaction).
            "CREATE SEQUENCE np_job_done_seq",
            "ALTER TABLE np_job ADD COLUMN done_seq bigint",
            "CREATE INDEX np_job_done ON np_job (batch_id, done_seq) WHERE done_seq IS NOT NULL",
            """
            CREATE FUNCTION np_job_done() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.state = 2 AND OLD.state <> 2 THEN
                    NEW.done_seq := nextval('np_job_done_seq');
                    PERFORM pg_notify('netpulse_results', NEW.batch_id::text);
                END IF;
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER np_job_done BEFORE UPDATE OF state ON np_job
            FOR EACH ROW WHEN (NEW.state = 2 AND OLD.state <> 2) EXECUTE FUNCTION np_job_done()
            """,
        ],
        [
            // The batch's webhook as the request gave it (JSON; header values are secrets, kept as the
            // request's passwords are). webhook_open until every job's webhook was handed over; the API
            // process following the batch holds a lease on it (owner, renewed while following).
            "ALTER TABLE np_batch ADD COLUMN webhook text",
            "ALTER TABLE np_batch ADD COLUMN webhook_open boolean NOT NULL DEFAULT false",
            "ALTER TABLE np_batch ADD COLUMN webhook_owner uuid",
            "ALTER TABLE np_batch ADD COLUMN webhook_lease_until timestamptz",
            "CREATE INDEX np_batch_webhook_open ON np_batch (webhook_lease_until) WHERE webhook_open",
            // A job's webhook was handed over: delivered, or failed every attempt (not indexed, so that
            // marking it stays a HOT update).
            "ALTER TABLE np_job ADD COLUMN webhook_done boolean NOT NULL DEFAULT false",
        ],
    ]

    /// Applies the missing steps, each in its own transaction under an advisory lock (two processes
    /// migrating at once apply each step once).
    ///
    /// - Returns: The versions before and after.
    /// - Throws: ``PostgresQueueError`` of kind `schemaMismatch` when the database is newer than this program.
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger) async throws(PostgresQueueError) -> (
        from: Int, to: Int
    ) {
        try await migrate(client, logger: logger, upTo: latestVersion)
    }

    /// Applies the missing steps up to version `target` (tests build older schemas with it).
    @discardableResult
    static func migrate(
        _ client: PostgresClient, logger: Logger, upTo target: Int
    ) async throws(PostgresQueueError) -> (from: Int, to: Int) {
        do {
            try await client.query(
                "CREATE TABLE IF NOT EXISTS np_schema (id boolean PRIMARY KEY DEFAULT true CHECK (id), version integer NOT NULL)",
                logger: logger)
            let start = try await version(client, logger: logger)
            if start > latestVersion {
                throw PostgresQueueError(
                    .schemaMismatch,
                    "the database's schema is version \(start), newer than this program's \(latestVersion); "
                        + "upgrade netpulse")
            }
            var current = start
            while current < min(target, latestVersion) {
                current = try await client.withTransaction(logger: logger) { connection -> Int in
                    try await connection.query("SELECT pg_advisory_xact_lock(7428301)", logger: logger)
                    let rows = try await connection.query("SELECT version FROM np_schema FOR UPDATE", logger: logger)
                    var now = 0
                    for try await version in rows.decode(Int.self) { now = version }
                    guard now < min(target, PostgresSchema.latestVersion) else { return now }
                    for statement in PostgresSchema.steps[now] {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    let next = now + 1
                    try await connection.query(
                        "INSERT INTO np_schema (id, version) VALUES (true, \(next)) ON CONFLICT (id) DO UPDATE SET version = \(next)",
                        logger: logger)
                    return next
                }
                logger.info("schema migrated", metadata: ["version": "\(current)"])
            }
            return (start, current)
        } catch let error as PostgresQueueError {
            throw error
        } catch {
            throw .wrapping(error, "migrating the schema")
        }
    }

    /// The schema version in the database; 0 for an empty database.
    public static func version(_ client: PostgresClient, logger: Logger) async throws(PostgresQueueError) -> Int {
        do {
            let exists = try await client.query("SELECT to_regclass('np_schema') IS NOT NULL", logger: logger)
            var found = false
            for try await value in exists.decode(Bool.self) { found = value }
            guard found else { return 0 }
            var version = 0
            for try await value in try await client.query("SELECT version FROM np_schema", logger: logger).decode(
                Int.self)
            {
                version = value
            }
            return version
        } catch {
            throw .wrapping(error, "reading the schema version")
        }
    }

    /// Checks that the database has exactly this program's schema.
    ///
    /// - Throws: ``PostgresQueueError`` of kind `schemaMismatch`, telling what to do.
    public static func check(_ client: PostgresClient, logger: Logger) async throws(PostgresQueueError) {
        let found = try await version(client, logger: logger)
        if found < latestVersion {
            throw PostgresQueueError(
                .schemaMismatch,
                "the database's schema is version \(found), this program needs \(latestVersion); "
                    + "run `netpulse db migrate --database ...`")
        }
        if found > latestVersion {
            throw PostgresQueueError(
                .schemaMismatch,
                "the database's schema is version \(found), newer than this program's \(latestVersion); "
                    + "upgrade netpulse")
        }
    }
}
