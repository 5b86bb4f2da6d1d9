using Telemedicina.Calls.Hub;

namespace Telemedicina.UnitTests.Calls;

/// <summary>The hub's error answers as a client reads them: the hub's own words, never SignalR's English framing.</summary>
public sealed class PlainHubErrorsTests
{
    [Theory]
    [InlineData("An unexpected error occurred invoking 'Chat' on the server. HubException: A mensagem deve ter de 1 a 2000 caracteres.", "A mensagem deve ter de 1 a 2000 caracteres.")]
    [InlineData("Failed to invoke 'Broadcast' due to an error on the server. HubException: Method does not exist.", "Método desconhecido: Broadcast.")]
    [InlineData("Failed to invoke 'ResumeRoom' due to an error on the server.", "Argumentos inválidos para ResumeRoom: confira a quantidade e o tipo de cada um.")]
    [InlineData("Failed to invoke 'JoinRoom' because user is unauthorized", "Você não tem permissão para usar JoinRoom.")]
    [InlineData("An unexpected error occurred invoking 'Signal' on the server.", "Erro inesperado no servidor. Tente de novo.")]
    [InlineData("A sala está se recuperando; tente novamente.", "A sala está se recuperando; tente novamente.")]
    public void Rewrite_KeepsTheHubsWords_AndPutsSignalRsInPortuguese(string sent, string read) =>
        Assert.Equal(read, PlainHubErrors.Rewrite(sent));

    [Fact]
    public void Rewrite_ReturnsTheSameStringWhenThereIsNothingToChange()
    {
        const string own = "Você não está nesta sala.";
        Assert.Same(own, PlainHubErrors.Rewrite(own));
    }
}
