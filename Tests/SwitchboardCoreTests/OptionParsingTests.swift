import NIOCore
import SwitchboardCore
import Testing

/// A hand-written options struct that uses every kind of `OptionField`, as the generated ones do.
private struct DemoOptions: SettableOptions {
    var name = "x"
    var count = 3
    var enabled = true
    var delay: TimeAmount = .milliseconds(250)
    var tags = ["a", "b"]
    var mode: DemoMode = .fast
    var limit: Int? = nil
    var label: String? = "l"
    var perTransport: [String: NestedOptions] = [:]
    var handle = 0

    static let optionFields: [OptionField<DemoOptions>] = [
        .value("name", \.name, "A name."),
        .value("count", \.count, "A count."),
        .value("enabled", \.enabled, "A flag."),
        .value("delay", \.delay, "A delay."),
        .value("tags", \.tags, "Tags."),
        .value("mode", \.mode, "A mode."),
        .optional("limit", \.limit, "A limit."),
        .optional("label", \.label, "A label."),
        .perTransport("perTransport", \.perTransport, "Per transport."),
        .textless("handle", \.handle, "No text form."),
    ]
}

private struct NestedOptions: SettableOptions {
    var duration: TimeAmount?
    static let optionFields: [OptionField<NestedOptions>] = [.optional("duration", \.duration, "A duration.")]
}

private enum DemoMode: String, Sendable, CaseIterable, OptionEnum {
    case fast
    case jsonString = "json-string"
}

@Suite struct OptionParsingTests {
    @Test func eachTypeReadsItsTextForm() throws {
        var options = DemoOptions()
        let texts = [
            "name": "y", "count": "-7", "enabled": "No", "delay": "1500", "tags": " a ,, b c ,", "mode": "json-string",
            "limit": "9", "perTransport": "xhr-polling.duration=20",
        ]
        for (key, text) in texts { try options.set(key, to: text) }
        #expect(options.name == "y" && options.count == -7 && !options.enabled)
        #expect(options.delay == .milliseconds(1500))
        #expect(options.tags == ["a", "b c"])
        #expect(options.mode == .jsonString)
        #expect(options.limit == 9)
        #expect(options.perTransport["xhr-polling"]?.duration == .milliseconds(20))
        for text in ["true", "1", "YES"] {
            try options.set("enabled", to: text)
            #expect(options.enabled)
        }
    }

    @Test func badTextIsAnOptionErrorAndChangesNothing() {
        var options = DemoOptions()
        let cases: [(key: String, value: String, reason: String)] = [
            ("nope", "1", "unknown option"),
            ("count", "3.5", "expected an integer"),
            ("enabled", "maybe", "expected true, false, 1, 0, yes or no"),
            ("delay", "-1", "expected a whole number of milliseconds"),
            ("mode", "slow", "expected one of: fast, json-string"),
            ("limit", "", "expected an integer"),
            ("handle", "3", "cannot be set from text"),
            ("perTransport", "duration=5", "expected <transport>.<option>=<value>"),
            ("perTransport", "ws.=5", "expected <transport>.<option>=<value>"),
            ("perTransport", "ws.speed=5", "ws.speed: unknown option"),
            ("perTransport", "ws.duration=soon", "ws.duration: expected a whole number of milliseconds"),
        ]
        for (key, value, reason) in cases {
            #expect(throws: OptionError(key: key, value: value, reason: reason)) { try options.set(key, to: value) }
        }
        #expect(options.count == 3 && options.limit == nil && options.perTransport.isEmpty)
    }

    @Test func helpListsTheSettableOptionsWithTheirDefaultsAsText() {
        let help = DemoOptions.optionHelp
        #expect(
            help.map(\.key) == ["name", "count", "enabled", "delay", "tags", "mode", "limit", "label", "perTransport"])
        #expect(
            help.map(\.type) == [
                "string", "int", "bool", "milliseconds", "strings (comma-separated)", "fast|json-string",
                "int", "string", "<transport>.<option>=<value>",
            ])
        #expect(help.map(\.defaultValue) == ["x", "3", "true", "250", "a,b", "fast", "", "l", ""])
        #expect(help.first?.description == "A name.")
    }

    @Test func overrideTakesOnlyTheOptionalValuesThatAreSet() {
        var options = DemoOptions()
        var other = DemoOptions()
        other.count = 99
        other.limit = 5
        other.label = nil
        options.override(with: other)
        #expect(options.limit == 5 && options.label == "l" && options.count == 3)
    }
}
