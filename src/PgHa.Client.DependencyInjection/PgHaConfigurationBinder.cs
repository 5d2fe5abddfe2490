using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using PgHa.Client;

namespace PgHa.Client.DependencyInjection;

/// <summary>
/// Binds a configuration section onto <see cref="PgHaDataSourceOptions"/>. Unlike the general binder it reads
/// <c>"2s"</c>-style durations, and it reports unknown keys (a misspelt option would otherwise be silently ignored)
/// and unreadable values, all at once, when the options are validated at start.
/// </summary>
internal static class PgHaConfigurationBinder
{
    private static readonly Dictionary<string, PropertyInfo> Settable = typeof(PgHaOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
        .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    public static void Bind(IConfiguration section, PgHaDataSourceOptions target)
    {
        var path = section is IConfigurationSection s ? s.Path : "(configuration root)";
        foreach (var child in section.GetChildren())
        {
            if (child.Key.Equals(nameof(PgHaDataSourceOptions.ConnectionString), StringComparison.OrdinalIgnoreCase))
            {
                target.ConnectionString = child.Value;
                continue;
            }

            if (!Settable.TryGetValue(child.Key, out var property))
            {
                target.BindingErrors.Add($"{child.Path} is not a PgHa option. Known keys: ConnectionString, {string.Join(", ", Settable.Keys.Order(StringComparer.Ordinal))}.");
                continue;
            }

            if (child.Value is null)
            {
                if (child.GetChildren().Any())
                    target.BindingErrors.Add($"{child.Path} must be a single value, not a section.");
                continue;
            }

            if (TryConvert(child.Value, property.PropertyType, out var value, out var expected))
                property.SetValue(target.Options, value);
            else
                target.BindingErrors.Add($"{child.Path} = \"{child.Value}\" is not {expected}.");
        }

        if (!section.GetChildren().Any())
            target.BindingErrors.Add($"The configuration section {path} is empty or missing.");
    }

    private static bool TryConvert(string text, Type type, out object? value, out string expected)
    {
        var inv = CultureInfo.InvariantCulture;
        var nullable = Nullable.GetUnderlyingType(type);
        if (nullable is not null && text.Length == 0)
        {
            (value, expected) = (null, "");
            return true;
        }

        type = nullable ?? type;
        value = null;
        expected = type.Name;
        if (type == typeof(TimeSpan))
        {
            expected = "a duration such as \"00:00:02\", \"2s\" or \"250ms\"";
            var ok = DurationText.TryParse(text, out var duration);
            value = duration;
            return ok;
        }

        if (type.IsEnum)
        {
            expected = $"one of {string.Join(", ", Enum.GetNames(type))}";
            // Names only: a number would bind to whatever value happens to have it.
            if (!text.Any(char.IsDigit) && Enum.TryParse(type, text, ignoreCase: true, out var parsed) && Enum.IsDefined(type, parsed!))
            {
                value = parsed;
                return true;
            }

            return false;
        }

        if (type == typeof(string))
        {
            value = text;
            return true;
        }

        if (type == typeof(bool))
        {
            expected = "true or false";
            var ok = bool.TryParse(text, out var flag);
            value = flag;
            return ok;
        }

        if (type == typeof(int))
        {
            expected = "a whole number";
            var ok = int.TryParse(text, NumberStyles.Integer, inv, out var number);
            value = number;
            return ok;
        }

        if (type == typeof(long))
        {
            expected = "a whole number";
            var ok = long.TryParse(text, NumberStyles.Integer, inv, out var number);
            value = number;
            return ok;
        }

        return false;
    }
}
