/// CRC-32C, the Castagnoli checksum (reflected polynomial 0x82F63B78) that TFRecord files carry
/// for each record's length and data, and the mask TFRecord applies to it.
///
/// Computed by slicing by eight (eight 256-entry tables, eight bytes per step), pure Swift.
public enum CRC32C {
    /// Table `k` (entries `k * 256 ..< (k + 1) * 256`) maps a byte to its contribution to the
    /// checksum when `k` more bytes follow it in the step; table 0 is the classic byte table.
    /// Made once and never freed (a pointer: no reference counting on the hot path).
    nonisolated(unsafe) static let tables: UnsafePointer<UInt32> = {
        let t = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
        t.initialize(repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return UnsafePointer(t)
    }()

    /// The CRC-32C of `bytes`; pass an earlier result as `crc` to continue a checksum over data
    /// given in pieces. `CRC32C.checksum("123456789")` is 0xE3069283.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var c = ~crc
        let n = bytes.count
        var p = 0
        let t = tables
        do {
            while n - p >= 8 {
                let lo = c ^ bytes.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian
                let hi = bytes.loadUnaligned(fromByteOffset: p + 4, as: UInt32.self).littleEndian
                var x = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                x ^= t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                x ^= t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                x ^= t[256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                c = x
                p += 8
            }
            while p < n {
                c = t[Int((c ^ UInt32(bytes[p])) & 0xFF)] ^ (c >> 8)
                p += 1
            }
        }
        return ~c
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) {
            return crc
        }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    /// The CRC-32C of a string's UTF-8 bytes.
    public static func checksum(_ text: String) -> UInt32 { checksum(Array(text.utf8)) }

    /// TFRecord's masked form of a checksum: rotated right by 15 bits plus 0xA282EAD8 (so that a
    /// checksum of data holding checksums is not degenerate).
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
