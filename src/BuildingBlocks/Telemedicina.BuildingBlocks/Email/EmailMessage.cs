namespace Telemedicina.BuildingBlocks.Email;

/// <summary>An e-mail to one recipient: plain text and HTML bodies, plus the action link it carries (if any).</summary>
public sealed record EmailMessage(string To, string Subject, string Text, string Html, string? ActionUrl = null, string? Kind = null);

/// <summary>Sends e-mails: a development outbox (files) or SMTP, chosen by configuration (<c>Email:Provider</c>).</summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>Configuration section <c>Email</c>.</summary>
public sealed class EmailSettings
{
    public const string Section = "Email";

    /// <summary><c>Outbox</c> (default: JSON files in <see cref="OutboxDirectory"/>) or <c>Smtp</c>.</summary>
    public string Provider { get; set; } = "Outbox";

    public string OutboxDirectory { get; set; } = Path.Combine(".data", "outbox");

    public string From { get; set; } = "Telemedicina Para Todos <nao-responda@telemedicina.local>";

    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    public string? SmtpUser { get; set; }

    public string? SmtpPassword { get; set; }

    /// <summary>Public origin for links in e-mails (e.g. https://telemedicina.example); when unset, the request's origin.</summary>
    public string? PublicBaseUrl { get; set; }
}
