/// A count written in decimal ASCII digits (at most 18, no sign), or nil.
func decimalCount<Digits: Collection>(_ digits: Digits) -> Int? where Digits.Element == UInt8 {
    guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
    return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
}
