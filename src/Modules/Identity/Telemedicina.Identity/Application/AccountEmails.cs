using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Telemedicina.BuildingBlocks.Email;
using Telemedicina.Identity.Domain;

namespace Telemedicina.Identity.Application;

/// <summary>The account e-mails (pt-BR): confirmation and password reset, each carrying a one-time link.</summary>
internal sealed class AccountEmails(IEmailSender sender, IOptions<EmailSettings> settings, IHttpContextAccessor http)
{
    public Task SendConfirmationAsync(AppUser user, string token, CancellationToken cancellationToken)
    {
        var link = $"{BaseUrl()}/#/confirmar-email?userId={user.Id}&token={Uri.EscapeDataString(token)}";
        return sender.SendAsync(Compose(user, "Confirme seu e-mail — Telemedicina Para Todos",
            "Bem-vindo(a)! Para ativar sua conta, confirme seu e-mail no link abaixo:", "Confirmar e-mail", link, "confirm-email"),
            cancellationToken);
    }

    public Task SendPasswordResetAsync(AppUser user, string token, CancellationToken cancellationToken)
    {
        var link = $"{BaseUrl()}/#/redefinir-senha?email={Uri.EscapeDataString(user.Email!)}&token={Uri.EscapeDataString(token)}";
        return sender.SendAsync(Compose(user, "Redefinição de senha — Telemedicina Para Todos",
            "Recebemos um pedido para redefinir sua senha. Se foi você, use o link abaixo (válido por pouco tempo). Se não foi, ignore este e-mail.",
            "Redefinir senha", link, "reset-password"),
            cancellationToken);
    }

    private static EmailMessage Compose(AppUser user, string subject, string intro, string action, string link, string kind)
    {
        var name = Greeting.FirstName(user.FullName);
        var text = $"Olá, {name}.\n\n{intro}\n\n{link}\n\nEquipe Telemedicina Para Todos";
        var html = $"<p>Olá, {WebUtility.HtmlEncode(name)}.</p><p>{WebUtility.HtmlEncode(intro)}</p>" +
                   $"<p><a href=\"{WebUtility.HtmlEncode(link)}\">{WebUtility.HtmlEncode(action)}</a></p><p>Equipe Telemedicina Para Todos</p>";
        return new EmailMessage(user.Email!, subject, text, html, link, kind);
    }

    private string BaseUrl()
    {
        if (!string.IsNullOrWhiteSpace(settings.Value.PublicBaseUrl))
        {
            return settings.Value.PublicBaseUrl.TrimEnd('/');
        }

        var request = http.HttpContext?.Request;
        return request is null ? "http://127.0.0.1:8000" : $"{request.Scheme}://{request.Host}";
    }
}
