namespace Telemedicina.BuildingBlocks.Http;

/// <summary>Collects field errors for a validation problem (camelCase field names, pt-BR messages).</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            list = [];
            _errors[field] = list;
        }

        list.Add(message);
        return this;
    }

    public Validation Require(bool condition, string field, string message) => condition ? this : Add(field, message);

    public Validation RequireText(string? value, string field, int maxLength, string label)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Add(field, $"{label}: campo obrigatório.");
        }

        return value.Length > maxLength ? Add(field, $"{label} deve ter no máximo {maxLength} caracteres.") : this;
    }

    public Validation MaxLength(string? value, string field, int maxLength, string label) =>
        value is not null && value.Length > maxLength ? Add(field, $"{label} deve ter no máximo {maxLength} caracteres.") : this;

    /// <summary>An optional ISO 8601 instant (<see cref="IsoInstant"/>): absent is fine, anything else must parse.</summary>
    public Validation OptionalInstant(string? value, string field, out DateTimeOffset? instant)
    {
        instant = null;
        if (value is null)
        {
            return this;
        }

        if (!IsoInstant.TryParse(value, out var parsed))
        {
            return Add(field, "Data inválida (ISO 8601, por exemplo 2026-12-07T17:00:00Z).");
        }

        instant = parsed;
        return this;
    }

    /// <summary>An optional identifier: absent is fine, anything else must be a GUID.</summary>
    public Validation OptionalGuid(string? value, string field, out Guid? id)
    {
        id = null;
        if (value is null)
        {
            return this;
        }

        if (!Guid.TryParse(value, out var parsed))
        {
            return Add(field, "Identificador inválido.");
        }

        id = parsed;
        return this;
    }

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
