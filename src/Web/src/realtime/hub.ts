import { HttpTransportType, HubConnection, HubConnectionBuilder, HubConnectionState, LogLevel } from "@microsoft/signalr";
import { ForeverRetryPolicy } from "./reconnectPolicy";

export type HubStatus = "connecting" | "connected" | "reconnecting" | "disconnected";

type Handler = (payload: never) => void;

/**
 * The one hub connection of this tab (a doctor must hear CallRequested on any page). WebSockets
 * with skipNegotiation, as the routing design expects, and a retry policy that never gives up.
 */
export class Hub {
  private connection: HubConnection | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly statusListeners = new Set<(status: HubStatus) => void>();
  private readonly reconnectedListeners = new Set<() => void>();
  private status: HubStatus = "disconnected";
  private serverClosed = false;

  /**
   * @param credential what to open the WebSocket with, asked for again before each connect and reconnect: a single-use
   * hub ticket, so that the URL (which load balancers log) carries no access token. `afterServerClose` is true for the
   * first one asked for after the server closed the connection without a reconnect.
   */
  constructor(private readonly credential: (afterServerClose: boolean) => Promise<string>) {}

  get connectionState(): string {
    return this.connection?.state ?? HubConnectionState.Disconnected;
  }

  get raw(): HubConnection | null {
    return this.connection;
  }

  async start(): Promise<void> {
    if (this.connection) return;
    const connection = this.build();
    this.connection = connection;
    this.setStatus("connecting");
    await this.startWithRetry(connection);
  }

  private build(): HubConnection {
    const connection = new HubConnectionBuilder()
      .withUrl("/hubs/consultation", {
        skipNegotiation: true,
        transport: HttpTransportType.WebSockets,
        accessTokenFactory: () => {
          const afterServerClose = this.serverClosed;
          this.serverClosed = false;
          return this.credential(afterServerClose);
        },
      })
      .withAutomaticReconnect(new ForeverRetryPolicy())
      .configureLogging(LogLevel.Warning)
      .build();
    connection.serverTimeoutInMilliseconds = 30_000;
    connection.keepAliveIntervalInMilliseconds = 15_000;
    for (const [event, set] of this.handlers) {
      connection.on(event, (payload: unknown) => set.forEach((h) => h(payload as never)));
    }

    connection.onreconnecting(() => this.setStatus("reconnecting"));
    connection.onreconnected(() => {
      this.setStatus("connected");
      this.reconnectedListeners.forEach((listener) => listener());
    });
    connection.onclose(() => {
      if (this.connection !== connection) {
        this.setStatus("disconnected");
        return;
      }

      // Closed by the server without an automatic reconnect: it ended the session (an admin lock, a logout elsewhere)
      // or dropped an abusive client; a silo that stops tells its clients to reconnect, but an older server or a proxy
      // may not. Start again on a new connection object: restarting this one from its own close handler raced the
      // client library's cleanup, which cleared the new WebSocket's transport, so the handshake was never sent and the
      // page said "reconectando" until the server's 15 s handshake timeout. The first credential asked for says it
      // follows a server close (the app then checks the session where every silo agrees, before asking for a ticket).
      const next = this.build();
      this.connection = next;
      this.serverClosed = true;
      this.setStatus("reconnecting");
      void this.startWithRetry(next).then(() => {
        if (this.connection === next) this.reconnectedListeners.forEach((listener) => listener());
      });
    });
    return connection;
  }

  async stop(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    await connection?.stop();
  }

  /** Subscribes to a server event; returns the unsubscribe function. */
  on<T>(event: string, handler: (payload: T) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
      this.connection?.on(event, (payload: unknown) => set!.forEach((h) => h(payload as never)));
    }

    set.add(handler as Handler);
    return () => set!.delete(handler as Handler);
  }

  onStatus(listener: (status: HubStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.status);
    return () => this.statusListeners.delete(listener);
  }

  onReconnected(listener: () => void): () => void {
    this.reconnectedListeners.add(listener);
    return () => this.reconnectedListeners.delete(listener);
  }

  async invoke<T>(method: string, ...args: unknown[]): Promise<T> {
    const connection = this.connection;
    if (!connection || connection.state !== HubConnectionState.Connected) {
      throw new Error(Hub.notConnected);
    }

    try {
      return await connection.invoke<T>(method, ...args);
    } catch (e) {
      // The server's refusals are sentences for the user, in Portuguese (plain hub errors). When the connection drops
      // under an invocation, the client library's own error was shown instead, in English ("WebSocket closed with
      // status code: 1006 (no reason given).", "Server timeout elapsed without receiving a message from the server.").
      if (this.connection !== connection || connection.state !== HubConnectionState.Connected) throw new Error(Hub.connectionLost);
      throw e;
    }
  }

  static readonly notConnected = "Sem conexão com o servidor. Tentando reconectar...";
  static readonly connectionLost = "A conexão caiu antes da resposta do servidor. Tentando reconectar...";

  private setStatus(status: HubStatus): void {
    this.status = status;
    this.statusListeners.forEach((listener) => listener(status));
  }

  // The first start is retried too: automatic reconnect only covers connections that once succeeded.
  private async startWithRetry(connection: HubConnection): Promise<void> {
    const policy = new ForeverRetryPolicy();
    for (let attempt = 0; this.connection === connection; attempt++) {
      try {
        await connection.start();
        this.setStatus("connected");
        return;
      } catch {
        this.setStatus("reconnecting");
        const delay = policy.nextRetryDelayInMilliseconds({ previousRetryCount: attempt, elapsedMilliseconds: 0, retryReason: new Error("start") });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
