using Telemedicina.Identity.Domain;

namespace Telemedicina.UnitTests.Identity;

public sealed class RegistrationRulesTests
{
    [Theory]
    [InlineData("ana@example.com", true)]
    [InlineData("ana.souza+tele@clinica.com.br", true)]
    [InlineData("ana@localhost", false)]
    [InlineData("ana example@x.com", false)]
    [InlineData("Ana <ana@x.com>", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsEmail(string? value, bool expected) => Assert.Equal(expected, RegistrationRules.IsEmail(value));

    [Theory]
    [InlineData("123456", true)]
    [InlineData("1", true)]
    [InlineData("0000", false)]
    [InlineData("12345678", false)]
    [InlineData("12a45", false)]
    [InlineData(null, false)]
    public void IsCrm(string? value, bool expected) => Assert.Equal(expected, RegistrationRules.IsCrm(value));

    [Theory]
    [InlineData("SP", true)]
    [InlineData("DF", true)]
    [InlineData("sp", false)]
    [InlineData("XX", false)]
    public void IsState(string value, bool expected) => Assert.Equal(expected, RegistrationRules.IsState(value));

    [Theory]
    [InlineData("+55 (11) 98765-4321", "+5511987654321")]
    [InlineData("11987654321", "+11987654321")]
    [InlineData("1234", null)]
    [InlineData("11 9876x4321", null)]
    public void NormalizePhone(string value, string? expected) => Assert.Equal(expected, RegistrationRules.NormalizePhone(value));

    [Theory]
    [InlineData("America/Sao_Paulo", true)]
    [InlineData("Europe/Lisbon", true)]
    [InlineData("Mars/Olympus", false)]
    [InlineData("", false)]
    public void IsTimeZone(string value, bool expected) => Assert.Equal(expected, RegistrationRules.IsTimeZone(value));
}
