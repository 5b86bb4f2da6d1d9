using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Telemedicina.BuildingBlocks.Email;

/// <summary>
/// Development and test sender: each e-mail becomes one JSON file in the outbox directory
/// (<c>.data/outbox</c> under ./run.sh), where people and tests can read the links.
/// </summary>
public sealed class OutboxEmailSender(IOptions<EmailSettings> settings, TimeProvider clock) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var directory = Path.GetFullPath(settings.Value.OutboxDirectory);
        Directory.CreateDirectory(directory);
        var now = clock.GetUtcNow();
        var name = $"{now:yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}.json";
        var body = JsonSerializer.Serialize(new
        {
            from = settings.Value.From,
            to = message.To,
            subject = message.Subject,
            kind = message.Kind,
            actionUrl = message.ActionUrl,
            sentAt = now,
            text = message.Text,
            html = message.Html,
        }, JsonSerializerOptions.Web);
        var temp = Path.Combine(directory, name + ".tmp");
        await File.WriteAllTextAsync(temp, body, cancellationToken);
        File.Move(temp, Path.Combine(directory, name));
    }
}
