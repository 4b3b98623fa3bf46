import Foundation

extension SpecFile {
    /// Every `*.yaml` file under `directory` (recursively), sorted by path.
    ///
    /// Paths in diagnostics start with `directory` as given; the header name starts with its last
    /// component (`Specs/transports/websocket.yaml`).
    public static func loadAll(directory: String) throws -> [SpecFile] {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let shortBase = URL(fileURLWithPath: base).lastPathComponent
        return try files(under: base, extension: "yaml").map { relative in
            SpecFile(
                path: base + "/" + relative,
                displayName: shortBase + "/" + relative,
                contents: try String(contentsOfFile: base + "/" + relative, encoding: .utf8)
            )
        }
    }
}

extension TemplateFile {
    /// Every `*.mustache` file directly in `directory`, sorted by name.
    public static func loadAll(directory: String) throws -> [TemplateFile] {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return try files(under: base, extension: "mustache").filter { !$0.contains("/") }.map { relative in
            TemplateFile(
                path: base + "/" + relative,
                name: String(relative.dropLast(".mustache".count)),
                contents: try String(contentsOfFile: base + "/" + relative, encoding: .utf8)
            )
        }
    }
}

/// Paths relative to `directory` of the files ending in `.<extension>` under it, sorted.
func files(under directory: String, extension fileExtension: String) throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: directory])
    }
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    var result: [String] = []
    while let relative = enumerator.nextObject() as? String {
        if relative.hasSuffix("." + fileExtension) { result.append(relative) }
    }
    return result.sorted()
}

/// Writes `contents` to `path` unless the file already holds exactly that, so that an unchanged
/// output keeps its modification date and incremental builds stay incremental.
/// - Returns: Whether the file was written.
@discardableResult
public func writeIfChanged(_ contents: String, to path: String) throws -> Bool {
    let data = Data(contents.utf8)
    if let existing = FileManager.default.contents(atPath: path), existing == data { return false }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    return true
}
