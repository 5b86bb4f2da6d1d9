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
            return Add(field, $"{label} é obrigatório.");
        }

        return value.Length > maxLength ? Add(field, $"{label} deve ter no máximo {maxLength} caracteres.") : this;
    }

    public Validation MaxLength(string? value, string field, int maxLength, string label) =>
        value is not null && value.Length > maxLength ? Add(field, $"{label} deve ter no máximo {maxLength} caracteres.") : this;

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
