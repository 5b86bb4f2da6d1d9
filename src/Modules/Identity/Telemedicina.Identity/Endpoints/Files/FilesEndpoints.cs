using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Npgsql;
using Telemedicina.Audit.Contracts;
using Telemedicina.BuildingBlocks.Http;
using Telemedicina.BuildingBlocks.Storage;
using Telemedicina.Identity.Contracts;

namespace Telemedicina.Identity.Endpoints.Files;

internal sealed record DocumentView(Guid Id, string FileName, string ContentType, long SizeBytes, DateTimeOffset UploadedAt);

/// <summary>
/// Avatars and doctors' credential documents, kept in the file store. The body is the file itself
/// (Content-Type image/png, image/jpeg or application/pdf); the type is checked against the file's
/// first bytes, never trusted from the header alone. A doctor's photo is part of the public
/// professional profile; a patient's is seen by the patient and admins only. Credential documents
/// are seen by their doctor and admins (who verify the CRM with them).
/// </summary>
internal static class FilesEndpoints
{
    public const int MaxAvatarBytes = 512 * 1024;
    public const int MaxDocumentBytes = 10 * 1024 * 1024;

    public static string AvatarKey(Guid userId) => $"avatars/{userId:N}";

    public static void MapFiles(this RouteGroupBuilder identity, RouteGroupBuilder admin)
    {
        identity.MapPut("/me/avatar", PutAvatarAsync).RequireAuthorization(Policies.Authenticated)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        identity.MapDelete("/me/avatar", DeleteAvatarAsync).RequireAuthorization(Policies.Authenticated);
        identity.MapGet("/users/{userId:guid}/avatar", GetAvatarAsync).RequireAuthorization(Policies.Authenticated);
        identity.MapPost("/doctors/me/documents", UploadDocumentAsync).RequireAuthorization(Policies.Doctor)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        identity.MapGet("/doctors/me/documents", MyDocumentsAsync).RequireAuthorization(Policies.Doctor);
        admin.MapGet("/doctors/{doctorId:guid}/documents", DoctorDocumentsAsync);
        admin.MapGet("/doctors/{doctorId:guid}/documents/{documentId:guid}", DownloadDocumentAsync);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> PutAvatarAsync(
        HttpRequest request, ClaimsPrincipal user, IFileStore files, IAuditTrail audit, CancellationToken ct)
    {
        var (body, problem) = await ReadFileAsync(request, MaxAvatarBytes, ["image/png", "image/jpeg"], ct);
        if (problem is not null)
        {
            return problem;
        }

        var me = user.GetId();
        await files.PutAsync(AvatarKey(me), new MemoryStream(body!), request.ContentType!, null, ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Update, "Avatar", me.ToString(), me, user.FindRole(), me, Purpose: "self-service"), ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> DeleteAvatarAsync(ClaimsPrincipal user, IFileStore files, IAuditTrail audit, CancellationToken ct)
    {
        var me = user.GetId();
        await files.DeleteAsync(AvatarKey(me), ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Delete, "Avatar", me.ToString(), me, user.FindRole(), me, Purpose: "self-service"), ct);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> GetAvatarAsync(
        Guid userId, ClaimsPrincipal user, IUserDirectory directory, IFileStore files, IAuditTrail audit, HttpContext http, CancellationToken ct)
    {
        var me = user.GetId();
        var owner = await directory.FindUserAsync(userId, ct);
        var visible = owner is not null && owner.Status != AccountStatus.Erased
            && (owner.Role == Roles.Doctor || userId == me || user.FindRole() == Roles.Admin);
        var file = visible ? await files.OpenReadAsync(AvatarKey(userId), ct) : null;
        if (file is null)
        {
            return Problems.NotFound();
        }

        if (owner!.Role != Roles.Doctor && userId != me)
        {
            await audit.RecordAsync(new AuditEvent(AuditActions.Read, "Avatar", userId.ToString(), me, user.FindRole(), userId, Purpose: "administration"), ct);
        }

        http.Response.RegisterForDisposeAsync(file);
        http.Response.Headers.CacheControl = "private, max-age=300";
        return TypedResults.Stream(file.Content, file.ContentType);
    }

    private static async Task<Results<Created<DocumentView>, ProblemHttpResult>> UploadDocumentAsync(
        HttpRequest request, string? name, ClaimsPrincipal user, NpgsqlDataSource db, IFileStore files, IAuditTrail audit, TimeProvider clock, CancellationToken ct)
    {
        var (body, problem) = await ReadFileAsync(request, MaxDocumentBytes, ["application/pdf", "image/png", "image/jpeg"], ct);
        if (problem is not null)
        {
            return problem;
        }

        var me = user.GetId();
        var fileName = string.IsNullOrWhiteSpace(name) ? "documento" : new string(name.Trim().Take(120).Select(c => char.IsControl(c) || c is '/' or '\\' ? '_' : c).ToArray());
        var document = new DocumentView(Guid.NewGuid(), fileName, request.ContentType!, body!.Length, clock.GetUtcNow());
        var key = $"doctor-documents/{me:N}/{document.Id:N}";
        await files.PutAsync(key, new MemoryStream(body), document.ContentType, null, ct);
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO identity.doctor_documents (id, doctor_id, file_name, content_type, size_bytes, file_key, uploaded_at)
                VALUES (@Id, @me, @FileName, @ContentType, @SizeBytes, @key, @UploadedAt)
                """,
                new { document.Id, me, document.FileName, document.ContentType, document.SizeBytes, key, document.UploadedAt });
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Create, "DoctorDocument", document.Id.ToString(), me, Roles.Doctor, me, Purpose: "credential-verification"), ct);
        return TypedResults.Created($"/api/v1/identity/doctors/me/documents/{document.Id}", document);
    }

    private static async Task<Ok<DocumentView[]>> MyDocumentsAsync(ClaimsPrincipal user, NpgsqlDataSource db, IAuditTrail audit, CancellationToken ct)
    {
        var me = user.GetId();
        var documents = await ListAsync(db, me, ct);
        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "DoctorDocumentList", null, me, Roles.Doctor, me, Purpose: "self-service"), ct);
        return TypedResults.Ok(documents);
    }

    private static async Task<Results<Ok<DocumentView[]>, ProblemHttpResult>> DoctorDocumentsAsync(
        Guid doctorId, ClaimsPrincipal user, NpgsqlDataSource db, IAuditTrail audit, CancellationToken ct)
    {
        var documents = await ListAsync(db, doctorId, ct);
        if (documents.Length == 0)
        {
            // No documents of a doctor who exists, or no such doctor (a patient's or a mistyped id): it answered [] for both.
            await using var connection = await db.OpenConnectionAsync(ct);
            if (!await connection.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM identity.doctor_profiles WHERE user_id = @doctorId)", new { doctorId }))
            {
                return Problems.NotFound("Não há médico com este id.");
            }
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "DoctorDocumentList", null, user.GetId(), Roles.Admin, doctorId, Purpose: "credential-verification"), ct);
        return TypedResults.Ok(documents);
    }

    private static async Task<IResult> DownloadDocumentAsync(
        Guid doctorId, Guid documentId, ClaimsPrincipal user, NpgsqlDataSource db, IFileStore files, IAuditTrail audit, HttpContext http, CancellationToken ct)
    {
        string? key;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            key = await connection.QuerySingleOrDefaultAsync<string>(
                "SELECT file_key FROM identity.doctor_documents WHERE id = @documentId AND doctor_id = @doctorId", new { documentId, doctorId });
        }

        var file = key is null ? null : await files.OpenReadAsync(key, ct);
        if (file is null)
        {
            return Problems.NotFound();
        }

        await audit.RecordAsync(new AuditEvent(AuditActions.Read, "DoctorDocument", documentId.ToString(), user.GetId(), Roles.Admin, doctorId, Purpose: "credential-verification"), ct);
        http.Response.RegisterForDisposeAsync(file);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Stream(file.Content, file.ContentType);
    }

    internal static async Task<DocumentView[]> ListAsync(NpgsqlDataSource db, Guid doctorId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<DocumentView>(
            "SELECT id, file_name, content_type, size_bytes, uploaded_at FROM identity.doctor_documents WHERE doctor_id = @doctorId ORDER BY uploaded_at DESC",
            new { doctorId })).ToArray();
    }

    /// <summary>Reads the body up to the limit and checks the declared type against the file's signature.</summary>
    private static async Task<(byte[]? Body, ProblemHttpResult? Problem)> ReadFileAsync(HttpRequest request, int maxBytes, string[] allowed, CancellationToken ct)
    {
        var contentType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (contentType is null || !allowed.Contains(contentType))
        {
            return (null, Problems.Make(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Tipo de arquivo não aceito",
                $"Envie o arquivo como {string.Join(", ", allowed)}."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return (null, TooLarge(maxBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        var body = buffer.ToArray();
        if (body.Length == 0 || !MatchesSignature(contentType, body))
        {
            return (null, Problems.Make(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Tipo de arquivo não aceito",
                "O conteúdo do arquivo não corresponde ao tipo informado."));
        }

        request.ContentType = contentType;
        return (body, null);
    }

    private static ProblemHttpResult TooLarge(int maxBytes) =>
        Problems.Make(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "Arquivo grande demais", $"O limite é de {maxBytes / 1024} KiB.");

    private static bool MatchesSignature(string contentType, byte[] body) => contentType switch
    {
        "image/png" => body.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        "image/jpeg" => body.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]),
        "application/pdf" => body.AsSpan().StartsWith("%PDF-"u8),
        _ => false,
    };
}
