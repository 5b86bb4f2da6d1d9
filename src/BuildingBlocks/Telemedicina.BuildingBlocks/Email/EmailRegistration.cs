using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Telemedicina.BuildingBlocks.Email;

public static class EmailRegistration
{
    /// <summary>Registers the configured <see cref="IEmailSender"/> (outbox by default, SMTP when <c>Email:Provider</c> is Smtp).</summary>
    public static IServiceCollection AddEmail(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(EmailSettings.Section);
        services.Configure<EmailSettings>(section);
        if (string.Equals(section["Provider"], "Smtp", StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IEmailSender, SmtpEmailSender>();
        }
        else
        {
            services.AddSingleton<IEmailSender, OutboxEmailSender>();
        }

        return services;
    }
}
