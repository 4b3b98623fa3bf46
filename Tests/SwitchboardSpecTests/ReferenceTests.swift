import Foundation
import Testing

/// Section citations of the hand-written documents, and the checker that finds dangling ones.
///
/// A citation is the document's path followed by one or more section signs, `§N` or `§N.M`, as a
/// list (`, `, `and`, `–`); every cited section needs a heading in that document (`## N.` for a
/// section, `### N.M` for a sub-section). Inside the documents themselves a bare `§N` refers to
/// the same document. The names of the documents the repository once pointed to outside itself
/// (upper-case protocol and architecture files) must not appear at all.
enum References {
    /// The hand-written documents that are cited by section.
    static let documents = ["docs/protocol.md", "docs/architecture.md"]

    /// A dangling reference: where it is and what is wrong.
    struct Problem: Hashable, CustomStringConvertible {
        var file: String
        var line: Int
        var message: String

        var description: String { "\(file):\(line): \(message)" }
    }

    /// A document's path, then section signs.
    nonisolated(unsafe) static let citation =
        #/docs/(protocol|architecture)\.md\s*§\d+(?:\.\d+)*(?:\s*(?:,|and|–|-)\s*§\d+(?:\.\d+)*)*/#
    /// One section sign and its number.
    nonisolated(unsafe) static let sectionSign = #/§(\d+(?:\.\d+)*)/#
    /// A numbered heading: `## 3. Title`, `### 6.1 Title`.
    nonisolated(unsafe) static let heading = #/(\#{2,6})[ ](\d+(?:\.\d+)*)\.?(?:\s.*)?/#
    /// The old, external document names.
    nonisolated(unsafe) static let oldName = #/(?:PROTOCOL|ARCHITECTURE)\.md/#

    /// The section numbers a document's headings define (outside code blocks); a heading's level
    /// must match its number: `## N.`, `### N.M`, `#### N.M.K`.
    static func sections(of text: String) -> Set<String> {
        var sections: Set<String> = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                fenced.toggle()
                continue
            }
            guard !fenced, let match = line.wholeMatch(of: heading) else { continue }
            let number = String(match.2)
            if match.1.count == number.split(separator: ".").count + 1 { sections.insert(number) }
        }
        return sections
    }

    /// The sections of each document as found under `root`; a missing document has no entry.
    static func documentSections(root: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for document in documents {
            if let text = try? String(contentsOfFile: root + "/" + document, encoding: .utf8) {
                result[document] = sections(of: text)
            }
        }
        return result
    }

    /// The dangling references in one file's text.
    /// - Parameters:
    ///   - file: the file's path relative to the package, for the messages and to know whether
    ///     the text is one of the documents (whose bare `§N` refer to themselves).
    ///   - sections: the sections of each document that exists.
    static func problems(in text: String, file: String, sections: [String: Set<String>]) -> [Problem] {
        var problems: [Problem] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            func check(_ document: String, _ section: Substring) {
                guard let known = sections[document] else {
                    problems.append(Problem(file: file, line: offset + 1, message: "\(document) does not exist (cited as §\(section))"))
                    return
                }
                if !known.contains(String(section)) {
                    problems.append(
                        Problem(file: file, line: offset + 1, message: "\(document) has no section \(section) (no heading for §\(section))"))
                }
            }
            for match in line.matches(of: citation) {
                let document = "docs/\(match.1).md"
                for sign in match.0.matches(of: sectionSign) { check(document, sign.1) }
            }
            if documents.contains(file) {
                for sign in line.replacing(citation, with: "").matches(of: sectionSign) { check(file, sign.1) }
            }
            for old in line.matches(of: oldName) {
                problems.append(
                    Problem(file: file, line: offset + 1, message: "`\(old.0)` names a document outside the repository; cite the one in docs/"))
            }
        }
        return problems
    }

    /// The text files of the package, relative to `root`, outside `.git` and `.build*`.
    static func textFiles(root: String) -> [String] {
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL
        let prefix = rootURL.path.hasSuffix("/") ? rootURL.path : rootURL.path + "/"
        guard
            let enumerator = FileManager.default.enumerator(
                at: rootURL, includingPropertiesForKeys: [.isDirectoryKey, .isRegularFileKey, .fileSizeKey])
        else { return [] }
        var files: [String] = []
        for case let url as URL in enumerator {
            let name = url.lastPathComponent
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isRegularFileKey, .fileSizeKey])
            if name == ".git" || name.hasPrefix(".build") {
                if values?.isDirectory == true { enumerator.skipDescendants() }
                continue
            }
            guard values?.isRegularFile == true, (values?.fileSize ?? 0) < 10_000_000 else { continue }
            let path = url.standardizedFileURL.path
            files.append(path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path)
        }
        return files.sorted()
    }

    /// The contents of a file when it is UTF-8 text (no NUL byte), nil otherwise.
    static func text(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), !data.contains(0) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

@Suite struct ReferenceTests {
    @Test func everyCitedSectionExistsAndNoOldNameRemains() throws {
        let sections = References.documentSections(root: Paths.package)
        #expect(Set(sections.keys) == Set(References.documents), "both documents exist")
        let files = References.textFiles(root: Paths.package)
        #expect(files.contains("README.md") && files.contains("Sources/SwitchboardCore/FramedCodec.swift"), "the scan sees the package")
        var citing = 0
        for file in files {
            guard let text = References.text(ofFile: Paths.package + "/" + file) else { continue }
            if text.contains(References.citation) { citing += 1 }
            for problem in References.problems(in: text, file: file, sections: sections) {
                Issue.record("\(problem)")
            }
        }
        #expect(citing > 10, "the sources cite the documents (found \(citing) files)")
    }

    @Test func theProtocolKeepsTheNumbersTheCodeCites() throws {
        let sections = References.documentSections(root: Paths.package)
        let protocolSections = try #require(sections["docs/protocol.md"])
        let required = (1...9).map(String.init) + ["2.1", "2.2"] + (1...7).map { "6.\($0)" }
        for section in required { #expect(protocolSections.contains(section), "docs/protocol.md lacks \(section)") }
        let architecture = try #require(sections["docs/architecture.md"])
        #expect((1...7).allSatisfy { architecture.contains(String($0)) })
    }

    @Test func headingsDefineSections() {
        let text = """
            # Title
            ## 1. Sessions
            ### 2.1 `framed`
            ## 3 Routing
            ### 4. Not a sub-section: the level does not match
            ```
            ## 5. Inside a code block
            ```
            ## Words
            """
        #expect(References.sections(of: text) == ["1", "2.1", "3"])
    }

    @Test func listsAndRangesAreReadAsSeveralCitations() {
        let document = "docs/" + "protocol.md"
        let line = "(\(document) " + "§3, §6 and §7; see also §9)"
        let citations = line.matches(of: References.citation).flatMap { $0.0.matches(of: References.sectionSign).map { String($0.1) } }
        #expect(citations == ["3", "6", "7"], "the list ends at the first thing that is not a separator")
        let range = "\(document) " + "§6.3–§6.7"
        #expect(range.matches(of: References.citation).flatMap { $0.0.matches(of: References.sectionSign).map { String($0.1) } }
            == ["6.3", "6.7"])
    }

    @Test func aMadeUpCitationIsCaught() {
        let protocolDocument = "docs/" + "protocol.md"
        let architectureDocument = "docs/" + "architecture.md"
        let sections = [protocolDocument: Set(["1", "3", "6", "6.1"]), architectureDocument: Set(["1", "2"])]
        let text = [
            "// fine: \(protocolDocument) " + "§3, §6.1 and \(architectureDocument) " + "§2",
            "// made up: \(protocolDocument) " + "§3, §42",
            "/// a missing sub-section: \(protocolDocument) " + "§6.9.",
            "# wrong document: \(architectureDocument) " + "§6",
            "see " + "PROTOCOL" + ".md beside this file",
        ].joined(separator: "\n")
        let problems = References.problems(in: text, file: "Sources/Example.swift", sections: sections).map(\.description)
        #expect(problems.count == 4, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("Sources/Example.swift:2: ") && $0.contains("§42") })
        #expect(problems.contains { $0.hasPrefix("Sources/Example.swift:3: ") && $0.contains("§6.9") })
        #expect(problems.contains { $0.hasPrefix("Sources/Example.swift:4: ") && $0.contains(architectureDocument) })
        #expect(problems.contains { $0.hasPrefix("Sources/Example.swift:5: ") && $0.contains("PROTOCOL" + ".md") })
    }

    @Test func aCitationOfAMissingDocumentIsCaught() {
        let text = "// " + "docs/" + "architecture.md " + "§1"
        let problems = References.problems(in: text, file: "README.md", sections: [:])
        #expect(problems.map(\.description) == ["README.md:1: docs/architecture.md does not exist (cited as §1)"])
    }

    @Test func insideADocumentABareSectionSignIsChecked() {
        let document = "docs/" + "protocol.md"
        let text = "see " + "§2 and §12; " + "docs/" + "architecture.md " + "§5"
        let sections = [document: Set(["2"]), "docs/" + "architecture.md": Set(["5"])]
        let problems = References.problems(in: text, file: document, sections: sections).map(\.description)
        #expect(problems.count == 1 && problems[0].contains("§12"), "\(problems)")
    }
}
