using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Telemedicina.BuildingBlocks.Email;

/// <summary>Production sender over SMTP with STARTTLS (e.g. Amazon SES SMTP), via MailKit.</summary>
public sealed class SmtpEmailSender(IOptions<EmailSettings> settings) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var config = settings.Value;
        var mime = new MimeMessage();
        mime.From.Add(MailboxAddress.Parse(config.From));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Subject = message.Subject;
        mime.Body = new BodyBuilder { TextBody = message.Text, HtmlBody = message.Html }.ToMessageBody();

        using var client = new SmtpClient();
        var host = config.SmtpHost ?? throw new InvalidOperationException("Email:SmtpHost is required when Email:Provider is Smtp.");
        await client.ConnectAsync(host, config.SmtpPort, SecureSocketOptions.StartTlsWhenAvailable, cancellationToken);
        if (!string.IsNullOrEmpty(config.SmtpUser))
        {
            await client.AuthenticateAsync(config.SmtpUser, config.SmtpPassword ?? "", cancellationToken);
        }

        await client.SendAsync(mime, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
