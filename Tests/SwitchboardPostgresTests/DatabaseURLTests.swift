import Testing

@testable import SwitchboardPostgres

@Suite("--cluster URLs")
struct DatabaseURLTests {
    @Test("postgres:// URLs with and without password, port and database")
    func parses() {
        #expect(DatabaseURL("postgres://app@db.example:6543/switchboard") == DatabaseURL(host: "db.example", port: 6543, username: "app", database: "switchboard"))
        #expect(DatabaseURL("postgresql://app:s%40cret@127.0.0.1/x") == DatabaseURL(host: "127.0.0.1", port: 5432, username: "app", password: "s@cret", database: "x"))
        #expect(DatabaseURL("postgres://app@host") == DatabaseURL(host: "host", port: 5432, username: "app"))
    }

    @Test("anything else is refused", arguments: ["", "http://a@b/c", "postgres://host/db", "postgres://@host", "postgres://user@/db"])
    func refuses(text: String) {
        #expect(DatabaseURL(text) == nil)
        #expect(throws: PostgresClusterBusError.self) { try PostgresClusterBus.Configuration(url: text) }
    }
}
