using Telemedicina.Identity.Domain;

namespace Telemedicina.UnitTests.Identity;

public sealed class CpfAndPasswordTests
{
    [Theory]
    [InlineData("529.982.247-25", "52998224725")]
    [InlineData("52998224725", "52998224725")]
    [InlineData("111.444.777-35", "11144477735")]
    [InlineData("529.982.247-24", null)]
    [InlineData("111.111.111-11", null)]
    [InlineData("1234567890", null)]
    [InlineData("abc.def.ghi-jk", null)]
    public void Cpf_Normalize_ChecksDigits(string value, string? expected) => Assert.Equal(expected, Cpf.Normalize(value));

    [Theory]
    [InlineData("senha12345", true)]
    [InlineData("Password123!", true)]
    [InlineData("flamengo2026", true)]
    [InlineData("qwertyuiop", true)]
    [InlineData("aaaaaaaaaaaa", true)]
    [InlineData("Telemedicina!2026", false)]
    [InlineData("cavalo bateria grampo correto", false)]
    public void PasswordPolicy_IsCommon(string password, bool expected) => Assert.Equal(expected, PasswordPolicy.IsCommon(password));
}
