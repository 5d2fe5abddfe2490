using Microsoft.Extensions.Options;
using Npgsql;
using PgHa.Client;
using PgHa.Client.Internal;

namespace PgHa.Client.DependencyInjection;

/// <summary>Checks a registration's options at start and reports every problem in one message.</summary>
internal sealed class PgHaDataSourceOptionsValidator : IValidateOptions<PgHaDataSourceOptions>
{
    public ValidateOptionsResult Validate(string? name, PgHaDataSourceOptions options)
    {
        var errors = new List<string>(options.BindingErrors);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("ConnectionString is required (an Npgsql connection string whose Host lists every node).");
        }
        else
        {
            try
            {
                var settings = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                HostList.Parse(settings.Host, settings.Port);
                PgHaDataSourceBuilder.DefaultRoleOf(settings.TargetSessionAttributes);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"ConnectionString is invalid: {ex.Message}");
            }
        }

        errors.AddRange(PgHaOptionsValidator.Validate(options.Options));
        if (errors.Count == 0)
            return ValidateOptionsResult.Success;
        var registration = string.IsNullOrEmpty(name) ? "PgHa" : $"PgHa registration \"{name}\"";
        return ValidateOptionsResult.Fail($"{registration} is misconfigured:{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", errors)}");
    }
}
