import NIOCore

/// A value given for an option that the option cannot take.
public struct OptionError: Error, CustomStringConvertible, Sendable, Equatable {
    public var key: String
    public var value: String
    public var reason: String

    public init(key: String, value: String, reason: String) {
        (self.key, self.value, self.reason) = (key, value, reason)
    }

    public var description: String { "option \(key)=\(value): \(reason)" }
}

/// Why a text is not a value of an option's type (the ``OptionError/reason`` it becomes).
public struct OptionTextError: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// A type an option can have and be set from text (`--option key=value`, config files).
public protocol OptionTextConvertible: Sendable {
    /// The type as `optionHelp` shows it, e.g. `int` or `framed|envelope`.
    static var optionType: String { get }
    /// The value written as `text`.
    init(optionText text: String) throws(OptionTextError)
    /// The value as ``init(optionText:)`` reads it.
    var optionText: String { get }
}

extension String: OptionTextConvertible {
    public static var optionType: String { "string" }
    public init(optionText text: String) { self = text }
    public var optionText: String { self }
}

extension Int: OptionTextConvertible {
    public static var optionType: String { "int" }
    public init(optionText text: String) throws(OptionTextError) {
        guard let value = Int(text) else { throw OptionTextError("expected an integer") }
        self = value
    }
    public var optionText: String { String(self) }
}

extension Bool: OptionTextConvertible {
    public static var optionType: String { "bool" }
    public init(optionText text: String) throws(OptionTextError) {
        switch text.lowercased() {
        case "true", "1", "yes": self = true
        case "false", "0", "no": self = false
        default: throw OptionTextError("expected true, false, 1, 0, yes or no")
        }
    }
    public var optionText: String { self ? "true" : "false" }
}

/// A duration, written as a whole number of milliseconds.
extension TimeAmount: OptionTextConvertible {
    public static var optionType: String { "milliseconds" }
    public init(optionText text: String) throws(OptionTextError) {
        guard let milliseconds = Int64(text), milliseconds >= 0 else {
            throw OptionTextError("expected a whole number of milliseconds")
        }
        self = .milliseconds(milliseconds)
    }
    public var optionText: String { String(nanoseconds / 1_000_000) }
}

/// A list, written comma-separated; items lose their surrounding spaces and empty items are dropped.
extension Array: OptionTextConvertible where Element == String {
    public static var optionType: String { "strings (comma-separated)" }
    public init(optionText text: String) {
        self = text.split(separator: ",").compactMap { item in
            guard let first = item.firstIndex(where: { $0 != " " }), let last = item.lastIndex(where: { $0 != " " })
            else { return nil }
            return String(item[first...last])
        }
    }
    public var optionText: String { joined(separator: ",") }
}

/// An enum type of an option: written as one of its raw values (the values of its spec).
public protocol OptionEnum: OptionTextConvertible, RawRepresentable, CaseIterable where RawValue == String {}

extension OptionEnum {
    public static var optionType: String { allCases.map(\.rawValue).joined(separator: "|") }
    public init(optionText text: String) throws(OptionTextError) {
        guard let value = Self(rawValue: text) else {
            throw OptionTextError("expected one of: " + Self.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = value
    }
    public var optionText: String { rawValue }
}

/// One option of an options struct `Options`: its key and description, how it is set from text,
/// and how it shows in `optionHelp`. A generated options struct lists its options as a table of
/// these (``SettableOptions/optionFields``); each kind of option is one of the factories below.
public struct OptionField<Options>: Sendable {
    /// The option's name as in the spec.
    public let key: String
    /// The option's description, on one line.
    public let description: String
    /// The type in `optionHelp`; nil for an option without a text form.
    let type: String?
    let read: @Sendable (inout Options, String) throws(OptionTextError) -> Void
    let text: @Sendable (Options) -> String
    let override: @Sendable (inout Options, Options) -> Void

    /// An option of a type with a text form.
    public static func value<Value: OptionTextConvertible>(
        _ key: String, _ path: WritableKeyPath<Options, Value> & Sendable, _ description: String
    ) -> Self {
        Self(
            key: key, description: description, type: Value.optionType,
            read: { options, text throws(OptionTextError) in options[keyPath: path] = try Value(optionText: text) },
            text: { $0[keyPath: path].optionText }, override: { _, _ in }
        )
    }

    /// An optional option: `nil` means not set (shown with no default), and ``SettableOptions/override(with:)``
    /// takes it from the other options when they set it.
    public static func optional<Value: OptionTextConvertible>(
        _ key: String, _ path: WritableKeyPath<Options, Value?> & Sendable, _ description: String
    ) -> Self {
        Self(
            key: key, description: description, type: Value.optionType,
            read: { options, text throws(OptionTextError) in options[keyPath: path] = try Value(optionText: text) },
            text: { $0[keyPath: path]?.optionText ?? "" },
            override: { options, other in
                if let value = other[keyPath: path] { options[keyPath: path] = value }
            }
        )
    }

    /// Options per transport, by transport name: written `<transport>.<option>=<value>`, which
    /// sets one option of that transport's entry (created empty when absent).
    public static func perTransport<Nested: SettableOptions>(
        _ key: String, _ path: WritableKeyPath<Options, [String: Nested]> & Sendable, _ description: String
    ) -> Self {
        Self(
            key: key, description: description, type: "<transport>.<option>=<value>",
            read: { options, text throws(OptionTextError) in
                guard let dot = text.firstIndex(of: "."), dot > text.startIndex,
                    let equals = text[dot...].firstIndex(of: "="), text.index(after: dot) < equals
                else { throw OptionTextError("expected <transport>.<option>=<value>") }
                let transport = String(text[..<dot])
                var nested = options[keyPath: path][transport] ?? Nested()
                do throws(OptionError) {
                    try nested.set(
                        String(text[text.index(after: dot)..<equals]), to: String(text[text.index(after: equals)...]))
                } catch {
                    throw OptionTextError("\(transport).\(error.key): \(error.reason)")
                }
                options[keyPath: path][transport] = nested
            },
            text: { _ in "" }, override: { _, _ in }
        )
    }

    /// An option without a text form (a logger): `set(_:to:)` refuses it and `optionHelp` leaves it out.
    public static func textless<Value>(
        _ key: String, _ path: WritableKeyPath<Options, Value> & Sendable, _ description: String
    ) -> Self {
        Self(
            key: key, description: description, type: nil,
            read: { _, _ throws(OptionTextError) in throw OptionTextError("cannot be set from text") },
            text: { _ in "" }, override: { _, _ in }
        )
    }
}

/// An options struct generated from a component spec: a stored property per option, with the
/// spec's default, and the table of its options that ``set(_:to:)`` and ``optionHelp`` read.
public protocol SettableOptions: Sendable {
    /// Options with every value at its default.
    init()
    /// Every option, in spec order.
    static var optionFields: [OptionField<Self>] { get }
}

extension SettableOptions {
    /// Sets an option from its text form (command lines, config files).
    ///
    /// - Parameters:
    ///   - key: The option's name as in the spec.
    ///   - value: The option's value as text (lists are comma-separated).
    /// - Throws: ``OptionError`` when the key is unknown, the value does not fit the option, or
    ///   the option has no text form; the options are then unchanged.
    public mutating func set(_ key: String, to value: String) throws(OptionError) {
        guard let field = Self.optionFields.first(where: { $0.key == key }) else {
            throw OptionError(key: key, value: value, reason: "unknown option")
        }
        do {
            try field.read(&self, value)
        } catch {
            throw OptionError(key: key, value: value, reason: error.reason)
        }
    }

    /// Every settable key with its description and default text, for `--help` and docs.
    public static var optionHelp: [(key: String, type: String, defaultValue: String, description: String)] {
        let defaults = Self()
        return optionFields.compactMap { field in
            field.type.map {
                (key: field.key, type: $0, defaultValue: field.text(defaults), description: field.description)
            }
        }
    }

    /// Takes every optional value that `other` sets, keeping the others.
    public mutating func override(with other: Self) {
        for field in Self.optionFields { field.override(&self, other) }
    }
}
