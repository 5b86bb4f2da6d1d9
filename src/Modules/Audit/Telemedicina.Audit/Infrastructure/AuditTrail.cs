using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks;
using Telemedicina.BuildingBlocks.Http;

namespace Telemedicina.Audit.Infrastructure;

/// <summary>
/// Appends hash-chained entries to <c>audit.entries</c>, with group commit: the chain is serialized across silos by
/// one advisory lock, and taking it per entry made every audited action in the cluster queue behind the one holding
/// it (S4 booking load: a dozen sessions waiting on that lock at any moment, 28 bookings/s). Entries recorded while
/// a write is under way are chained and inserted together in the next transaction, under one lock. A caller still
/// returns only once its entry is committed (or with the error that prevented it).
/// </summary>
internal sealed class AuditTrail(NpgsqlDataSource db, IHttpContextAccessor http, NodeInfo node, TimeProvider clock) : IAuditTrail, IDisposable
{
    // Serializes writers across silos for the length of one transaction.
    private const long ChainLockKey = 0x7E1E_0A0D;

    // Rows per transaction at most (one round trip for the inserts).
    internal const int MaxBatch = 256;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private Task? _writer;
    private long _transactions;

    /// <summary>Transactions written so far by this instance (each holds the chain lock once).</summary>
    internal long Transactions => Interlocked.Read(ref _transactions);

    public Task RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var entry = new AuditRow
        {
            OccurredAt = clock.GetUtcNow(),
            ActorId = auditEvent.ActorId,
            ActorRole = auditEvent.ActorRole,
            Action = auditEvent.Action,
            ResourceType = auditEvent.ResourceType,
            ResourceId = auditEvent.ResourceId,
            SubjectId = auditEvent.SubjectId,
            Outcome = auditEvent.Outcome,
            Purpose = auditEvent.Purpose,
            IpAddress = http.HttpContext.ClientIp(),
            Node = node.Name,
            Details = auditEvent.Details is null ? null : JsonSerializer.Serialize(auditEvent.Details),
        };

        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        EnsureWriter();

        // The entry is written even if the caller stops waiting: the action it records may have happened.
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public void Dispose() => _queue.Writer.TryComplete();

    private void EnsureWriter()
    {
        if (_writer is not null)
        {
            return;
        }

        lock (_gate)
        {
            _writer ??= Task.Run(WriteLoopAsync);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await AppendAsync(batch);
                foreach (var pending in batch)
                {
                    pending.Done.TrySetResult();
                }
            }
            catch (Exception e)
            {
                // Every caller of the batch gets the error (as it would have alone); the loop carries on.
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(e);
                }
            }
        }
    }

    private async Task AppendAsync(List<Pending> batch)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var previous = await ChainHeadAsync(connection, tx);
        await using var insert = new NpgsqlBatch(connection, tx);
        foreach (var entry in batch.Select(p => p.Entry))
        {
            entry.PrevHash = previous;
            entry.Hash = AuditHash.Compute(previous, entry);
            previous = entry.Hash;
            insert.BatchCommands.Add(InsertCommand(entry));
        }

        // One round trip; the statements run in order, so ids follow the chain.
        await insert.ExecuteNonQueryAsync();
        await tx.CommitAsync();
        Interlocked.Increment(ref _transactions);
    }

    // The chain lock, then the chain's last hash: two statements in one round trip, so the lock is held one round trip
    // less than with one each (three in all with the inserts and the commit, four before). Two statements, not one:
    // under READ COMMITTED each statement reads from a snapshot taken when it starts, and the head must be read after
    // the lock is granted, or it misses the entries of the writer that held it.
    private static async Task<byte[]> ChainHeadAsync(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new("SELECT pg_advisory_xact_lock($1)") { Parameters = { new NpgsqlParameter<long> { TypedValue = ChainLockKey } } },
                new("SELECT hash FROM audit.entries ORDER BY id DESC LIMIT 1"),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync();
        await reader.NextResultAsync();
        return await reader.ReadAsync() ? reader.GetFieldValue<byte[]>(0) : new byte[32];
    }

    private static NpgsqlBatchCommand InsertCommand(AuditRow entry) =>
        new("""
            INSERT INTO audit.entries (occurred_at, actor_id, actor_role, action, resource_type, resource_id, subject_id,
                                       outcome, purpose, ip_address, node, details, prev_hash, hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CAST($12 AS jsonb), $13, $14)
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<DateTimeOffset> { TypedValue = entry.OccurredAt },
                new NpgsqlParameter { Value = (object?)entry.ActorId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid },
                Text(entry.ActorRole),
                Text(entry.Action),
                Text(entry.ResourceType),
                Text(entry.ResourceId),
                new NpgsqlParameter { Value = (object?)entry.SubjectId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid },
                Text(entry.Outcome),
                Text(entry.Purpose),
                Text(entry.IpAddress),
                Text(entry.Node),
                Text(entry.Details),
                new NpgsqlParameter<byte[]> { TypedValue = entry.PrevHash },
                new NpgsqlParameter<byte[]> { TypedValue = entry.Hash },
            },
        };

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    private sealed record Pending(AuditRow Entry, TaskCompletionSource Done);
}

/// <summary>A row of the audit trail.</summary>
internal sealed class AuditRow
{
    public long Id { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public Guid? ActorId { get; set; }

    public string? ActorRole { get; set; }

    public string Action { get; set; } = "";

    public string ResourceType { get; set; } = "";

    public string? ResourceId { get; set; }

    public Guid? SubjectId { get; set; }

    public string Outcome { get; set; } = "";

    public string? Purpose { get; set; }

    public string? IpAddress { get; set; }

    public string? Node { get; set; }

    public string? Details { get; set; }

    public byte[] PrevHash { get; set; } = [];

    public byte[] Hash { get; set; } = [];
}

/// <summary>The chain hash: SHA-256 over the previous hash and the row's canonical JSON.</summary>
internal static class AuditHash
{
    public static byte[] Compute(byte[] previousHash, AuditRow row)
    {
        // Canonical form: fixed field order, UTC timestamp at microsecond precision (what timestamptz keeps).
        var canonical = JsonSerializer.Serialize(new object?[]
        {
            row.OccurredAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture),
            row.ActorId, row.ActorRole, row.Action, row.ResourceType, row.ResourceId, row.SubjectId,
            row.Outcome, row.Purpose, row.IpAddress, row.Node, CanonicalJson(row.Details),
        });
        var bytes = Encoding.UTF8.GetBytes(canonical);
        var buffer = new byte[previousHash.Length + bytes.Length];
        previousHash.CopyTo(buffer, 0);
        bytes.CopyTo(buffer, previousHash.Length);
        return SHA256.HashData(buffer);
    }

    // jsonb normalizes key order and spacing, so hash a normalized form of the details too.
    private static string? CanonicalJson(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        var sorted = document.RootElement.EnumerateObject()
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText()));
        return JsonSerializer.Serialize(sorted.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }
}
