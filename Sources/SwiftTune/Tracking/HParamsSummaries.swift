/// The three summaries of TensorBoard's hparams plugin that Ray's `TBXLoggerCallback` writes
/// when a trial ends (through tensorboardX's `summary.hparams`): the experiment (each
/// hyperparameter's name and type, each metric's tag), the session's start (the values) and its
/// end (status success). Each is a `Summary` with one `Value` whose metadata names the plugin
/// `hparams` and carries an `HParamsPluginData` message (tensorboardX's plugin_hparams.proto and
/// api.proto; the version field, 0, is left out as proto3 does).
public struct HParamsSummaries: Sendable, Equatable {
    /// A hyperparameter's value as the plugin records it.
    public enum Value: Sendable, Equatable {
        /// A string (type `DATA_TYPE_STRING`).
        case string(String)
        /// A boolean (type `DATA_TYPE_BOOL`).
        case bool(Bool)
        /// A number (type `DATA_TYPE_FLOAT64`).
        case number(Double)
        /// Another value (a list): named with type `DATA_TYPE_UNSET`, no value recorded.
        case unset
    }

    /// The hyperparameters, in order.
    public var hyperparameters: [(name: String, value: Value)]
    /// The metrics' tags, in order.
    public var metrics: [String]

    /// The tag of the experiment summary.
    public static let experimentTag = "_hparams_/experiment"
    /// The tag of the session-start summary.
    public static let sessionStartTag = "_hparams_/session_start_info"
    /// The tag of the session-end summary.
    public static let sessionEndTag = "_hparams_/session_end_info"

    /// Hyperparameters and metric tags as given.
    public init(hyperparameters: [(name: String, value: Value)], metrics: [String]) {
        self.hyperparameters = hyperparameters
        self.metrics = metrics
    }

    /// From `{"hparams": {name: value, ...}, "metrics": [tag, ...]}`, with tensorboardX's rules:
    /// a null is left out, strings, booleans and numbers are typed, anything else is unset.
    public init(json: JSONValue) throws(SpecError) {
        guard let params = json["hparams"]?.objectValue else {
            throw .invalid("hparams: expected an object \"hparams\"")
        }
        guard let metrics = json["metrics"]?.arrayValue else {
            throw .invalid("hparams: expected an array \"metrics\"")
        }
        var out: [(name: String, value: Value)] = []
        for (name, v) in params {
            switch v {
            case .null: continue
            case .string(let s): out.append((name, .string(s)))
            case .bool(let b): out.append((name, .bool(b)))
            case .int, .double: out.append((name, .number(v.doubleValue ?? .nan)))
            case .array, .object: out.append((name, .unset))
            }
        }
        var tags: [String] = []
        for m in metrics {
            guard let tag = m.stringValue else { throw .invalid("hparams: a metric tag is not a string") }
            tags.append(tag)
        }
        self.init(hyperparameters: out, metrics: tags)
    }

    /// Hyperparameters and metrics compare by name, value and order.
    public static func == (a: HParamsSummaries, b: HParamsSummaries) -> Bool {
        a.metrics == b.metrics && a.hyperparameters.count == b.hyperparameters.count
            && zip(a.hyperparameters, b.hyperparameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// The three encoded `Summary` messages: experiment, session start, session end (the order
    /// Ray writes them in).
    public func summaries() -> [[UInt8]] {
        [
            Self.summary(Self.experimentTag, pluginData: 2) { experiment in
                for (name, value) in hyperparameters {
                    Protobuf.appendMessage(4, to: &experiment) { info in  // Experiment.hparam_infos
                        Protobuf.appendString(1, name, to: &info)
                        let type = value.dataType
                        if type != 0 { Protobuf.appendInt64(4, type, to: &info) }
                    }
                }
                for tag in metrics {
                    Protobuf.appendMessage(5, to: &experiment) { info in  // Experiment.metric_infos
                        Protobuf.appendMessage(1, to: &info) { Protobuf.appendString(2, tag, to: &$0) }  // MetricName.tag
                    }
                }
            },
            Self.summary(Self.sessionStartTag, pluginData: 3) { start in
                for (name, value) in hyperparameters where value != .unset {
                    Protobuf.appendMessage(1, to: &start) { entry in  // SessionStartInfo.hparams (a map entry)
                        Protobuf.appendString(1, name, to: &entry)
                        Protobuf.appendMessage(2, to: &entry) { v in  // google.protobuf.Value
                            switch value {
                            case .number(let d): Protobuf.appendDouble(2, d, to: &v)
                            case .string(let s): Protobuf.appendString(3, s, to: &v)
                            case .bool(let b): Protobuf.appendInt64(4, b ? 1 : 0, to: &v)
                            case .unset: break
                            }
                        }
                    }
                }
            },
            Self.summary(Self.sessionEndTag, pluginData: 4) { end in
                Protobuf.appendInt64(1, 1, to: &end)  // SessionEndInfo.status = STATUS_SUCCESS
            },
        ]
    }

    /// Appends the three events (at `wallTime`, without a step, as Ray writes them).
    public func appendEvents(wallTime: Double, to out: inout [UInt8]) {
        for summary in summaries() {
            TensorBoardEvent.appendSummary(summary, wallTime: wallTime, step: 0, to: &out)
        }
    }

    /// A `Summary` with one `Value`: `tag`, and metadata naming the plugin with an
    /// `HParamsPluginData` whose field `pluginData` is the message `body` writes.
    static func summary(_ tag: String, pluginData field: Int, _ body: (inout [UInt8]) -> Void) -> [UInt8] {
        var content: [UInt8] = []
        Protobuf.appendMessage(field, to: &content, body)
        var summary: [UInt8] = []
        Protobuf.appendMessage(1, to: &summary) { value in  // Summary.value
            Protobuf.appendString(1, tag, to: &value)  // Value.tag
            Protobuf.appendMessage(9, to: &value) { metadata in  // Value.metadata
                Protobuf.appendMessage(1, to: &metadata) { plugin in  // SummaryMetadata.plugin_data
                    Protobuf.appendString(1, "hparams", to: &plugin)
                    Protobuf.appendBytes(2, content, to: &plugin)
                }
            }
        }
        return summary
    }
}

extension HParamsSummaries.Value {
    /// The plugin's `DataType`: unset 0, string 1, bool 2, float64 3.
    var dataType: Int64 {
        switch self {
        case .unset: return 0
        case .string: return 1
        case .bool: return 2
        case .number: return 3
        }
    }
}
