/// What the machine offers trials and what each trial takes (Ray's resources: `ray.init(num_cpus=,
/// num_gpus=, resources=)` and `tune.with_resources`), by Ray's names: `"CPU"`, `"GPU"`, `"memory"`
/// (bytes) and any custom name. Every trial of an experiment takes the same amounts (one trainable);
/// the engine runs only as many trials at once as every resource holds, and hands each trial its
/// own GPUs (Ray's GPU ids: whole devices for a trial taking 1 or more, a share of one device for
/// a trial taking a fraction).
public struct TrialResources: Sendable, Equatable {
    /// What the machine offers, by name (a name missing offers none).
    public var available: [String: Double]
    /// What each trial takes, by name (0 or missing: none).
    public var perTrial: [String: Double]

    /// Resources with these amounts; checked when an engine is built with them.
    public init(available: [String: Double], perTrial: [String: Double]) {
        self.available = available
        self.perTrial = perTrial
    }

    /// The name of the GPU resource.
    public static let gpu = "GPU"

    /// Ray's rules: amounts are finite and not negative; a trial takes at most what the machine
    /// offers (else no trial could ever start: Ray waits forever, the engine says why); more than
    /// one GPU is a whole number of them.
    func validate() throws(ExperimentError) {
        for (name, amount) in available where !(amount.isFinite && amount >= 0) {
            throw .invalidConfig("resource '\(name)' available must be a number >= 0, got \(amount)")
        }
        for (name, amount) in perTrial.sorted(by: { $0.key < $1.key }) {
            guard amount.isFinite && amount >= 0 else {
                throw .invalidConfig("resource '\(name)' per trial must be a number >= 0, got \(amount)")
            }
            let offered = available[name] ?? 0
            if amount > offered {
                throw .invalidConfig("each trial needs \(name)=\(Self.format(amount)) but only \(Self.format(offered)) "
                                     + "\(offered == 0 && available[name] == nil ? "is declared" : "is available"): no trial "
                                     + "could start")
            }
        }
        if let g = perTrial[Self.gpu], g > 1, g != g.rounded() {
            throw .invalidConfig("a trial needs a whole number of GPUs when it needs more than one, got \(g)")
        }
    }

    /// How many trials the resources hold at once (nil: no resource bounds them).
    public var maxConcurrent: Int? {
        var cap: Int? = nil
        for (name, need) in perTrial where need > 0 {
            let n: Int
            if name == Self.gpu {
                n = GPUPool(devices: Self.devices(available[name] ?? 0), perTrial: need).capacity
            } else {
                n = Int(((available[name] ?? 0) / need + 1e-9).rounded(.down))
            }
            cap = Swift.min(cap ?? n, n)
        }
        return cap
    }

    /// The whole GPU devices an amount offers (Ray counts GPUs as devices).
    static func devices(_ amount: Double) -> Int { Int((amount + 1e-9).rounded(.down)) }

    static func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x) }

    /// As JSON: `{"available": {...}, "per_trial": {...}}` (keys sorted).
    public var json: JSONValue {
        func object(_ d: [String: Double]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }) }
        return .object([("available", object(available)), ("per_trial", object(perTrial))])
    }
}

/// The GPU devices and the trials holding them: a trial taking `k >= 1` GPUs holds `k` whole free
/// devices; a trial taking a fraction holds a share of the first device with room for it (each
/// device holds `floor(1 / fraction)` such trials).
struct GPUPool: Sendable, Equatable {
    /// Trials holding each device.
    var holders: [Int]
    let perTrial: Double

    init(devices: Int, perTrial: Double) {
        holders = Array(repeating: 0, count: Swift.max(0, devices))
        self.perTrial = perTrial
    }

    /// Trials one device holds.
    var slots: Int { perTrial >= 1 ? 1 : Int((1 / perTrial + 1e-9).rounded(.down)) }
    /// Whole devices one trial takes.
    var wholeDevices: Int { perTrial >= 1 ? Int(perTrial.rounded()) : 0 }

    /// How many trials the devices hold at once.
    var capacity: Int { perTrial >= 1 ? holders.count / Swift.max(1, wholeDevices) : holders.count * slots }

    /// The devices for one more trial (their indices), or nil when none has room.
    mutating func take() -> [Int]? {
        guard perTrial > 0 else { return [] }
        if perTrial >= 1 {
            let free = holders.indices.filter { holders[$0] == 0 }
            guard free.count >= wholeDevices else { return nil }
            let ids = Array(free.prefix(wholeDevices))
            for i in ids { holders[i] = 1 }
            return ids
        }
        guard let i = holders.indices.first(where: { holders[$0] < slots }) else { return nil }
        holders[i] += 1
        return [i]
    }

    /// Gives back the devices a trial held.
    mutating func release(_ ids: [Int]) {
        for i in ids where holders.indices.contains(i) && holders[i] > 0 { holders[i] -= 1 }
    }
}
