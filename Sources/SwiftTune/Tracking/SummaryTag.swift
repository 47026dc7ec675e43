/// Summary tags as tensorboardX cleans them before writing (its `_clean_tag`): every character
/// that is not a letter, a digit, `_`, `-`, `/` or `.` becomes `_` (Python's regular expression
/// `[^-/\w\.]` over Unicode), then leading slashes go.
public enum SummaryTag {
    /// The clean form of a tag's UTF-8 bytes.
    public static func clean(_ tag: [UInt8]) -> [UInt8] {
        var out = tag
        cleanInPlace(&out, from: 0)
        return out
    }

    /// The clean form of a tag.
    public static func clean(_ tag: String) -> String {
        String(decoding: clean(Array(tag.utf8)), as: UTF8.self)
    }

    /// Cleans the tag that occupies `bytes[start...]` (UTF-8), in place; `stripLeadingSlashes`
    /// false for a part of a tag that does not start it.
    public static func cleanInPlace(_ bytes: inout [UInt8], from start: Int, stripLeadingSlashes: Bool = true) {
        let plain = bytes.withUnsafeBufferPointer { b in
            for i in start..<b.count where !isKeptASCII(b[i]) { return false }
            return true
        }
        if !plain {
            let tail = String(decoding: bytes[start...], as: UTF8.self)
            bytes.removeSubrange(start...)
            for scalar in tail.unicodeScalars {
                if isKept(scalar) {
                    bytes.append(contentsOf: Array(String(scalar).utf8))
                } else {
                    bytes.append(UInt8(ascii: "_"))
                }
            }
        }
        guard stripLeadingSlashes else { return }
        var slashes = 0
        while start + slashes < bytes.count, bytes[start + slashes] == UInt8(ascii: "/") { slashes += 1 }
        if slashes > 0 { bytes.removeSubrange(start..<start + slashes) }
    }

    /// An ASCII byte that stays as it is (letters, digits, `_`, `-`, `/`, `.`); false for every
    /// byte of a multi-byte character.
    @inline(__always)
    static func isKeptASCII(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "/"),
             UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Python's `\w` (a letter of any script, a character with a numeric value, `_`), `-`, `/`, `.`.
    static func isKept(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return isKeptASCII(UInt8(scalar.value)) }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return scalar.properties.numericType != nil
        }
    }
}
