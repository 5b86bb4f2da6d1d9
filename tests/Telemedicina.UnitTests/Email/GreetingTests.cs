using Telemedicina.BuildingBlocks.Email;

namespace Telemedicina.UnitTests.Email;

public sealed class GreetingTests
{
    [Theory]
    [InlineData("Dra. Ana Souza", "Ana")]
    [InlineData("Dr. Ravi Kumar", "Ravi")]
    [InlineData("dr Paulo Mendes", "Paulo")]
    [InlineData("Prof. Dra. Maria Silva", "Maria")]
    [InlineData("Sra. Helena", "Helena")]
    [InlineData("Maria Silva", "Maria")]
    [InlineData("  Joana   d'Arc ", "Joana")]
    [InlineData("Drummond Andrade", "Drummond")]
    [InlineData("Dra.", "Dra.")]
    public void GreetsByTheFirstNameAfterAnyTitle(string fullName, string expected) => Assert.Equal(expected, Greeting.FirstName(fullName));
}
