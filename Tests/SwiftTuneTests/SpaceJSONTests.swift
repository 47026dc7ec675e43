#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import SwiftTune

/// The JSON form of a space: texts, round trips, defaults, and the errors of malformed documents.
extension SpaceTests {
    // MARK: JSON form

    @Test func rayTutorialJSONText() throws {
        let space = try SearchSpace(SpaceFixtures.ray)
        let text = #"{"format":"swifttune.space","version":1,"space":{"type":"dict","items":{"steps":100,"width":{"type":"tune.uniform","lower":0.0,"upper":20.0},"height":{"type":"tune.uniform","lower":-100.0,"upper":100.0},"activation":{"type":"tune.choice","categories":["relu","tanh"]}}}}"#
        #expect(space.json.serialized() == text)
        #expect(try SearchSpace(jsonText: text) == space)
    }

    @Test func hyperoptTutorialJSONText() throws {
        let space = try SearchSpace(SpaceFixtures.hyperopt)
        let text = #"{"format":"swifttune.space","version":1,"space":{"type":"dict","items":{"activation":{"type":"choice","label":"activation","options":[{"type":"dict","items":{"activation":"relu","mult":{"type":"uniform","label":"mult","low":1.0,"high":2.0}}},{"type":"dict","items":{"activation":"tanh"}}]},"width":{"type":"uniform","label":"width","low":0.0,"high":20.0},"height":{"type":"uniform","label":"height","low":-100.0,"high":100.0},"steps":100}}}"#
        #expect(space.json.serialized() == text)
        let back = try SearchSpace(jsonText: text)
        #expect(back == space)
        #expect(back.parameters == space.parameters)
    }

    @Test(arguments: ["ray", "hyperopt", "everyKind"])
    func jsonRoundTrips(name: String) throws {
        let node = ["ray": SpaceFixtures.ray, "hyperopt": SpaceFixtures.hyperopt, "everyKind": SpaceFixtures.everyKind][name]!
        let space = try SearchSpace(node)
        let fromJSON = try SearchSpace(json: space.json)
        #expect(fromJSON == space)
        #expect(fromJSON.root == node)
        #expect(fromJSON.parameters == space.parameters)
        let fromText = try SearchSpace(jsonText: space.json.serialized())
        #expect(fromText == space)
        #expect(fromText.parameters == space.parameters)
        let fromPretty = try SearchSpace(jsonText: space.json.serialized(pretty: true))
        #expect(fromPretty == space)
        #expect(fromText.json.serialized() == space.json.serialized())
    }

    @Test func constantListsAndListsOfConstantsStayDistinct() throws {
        let a = try SearchSpace(["x": .constant([1, 2])])
        let b = try SearchSpace(["x": [1, 2]])
        #expect(a != b)
        #expect(a.json["space"]?["items"]?["x"] == ["type": "const", "value": [1, 2]])
        #expect(b.json["space"]?["items"]?["x"] == ["type": "list", "items": [1, 2]])
        #expect(try SearchSpace(json: a.json) == a)
        #expect(try SearchSpace(json: b.json) == b)
        #expect(try SearchSpace(json: a.json) != b)
        // Both give the same configuration.
        #expect(try a.configuration(for: [:]) == ["x": [1, 2]])
        #expect(try b.configuration(for: [:]) == ["x": [1, 2]])
        // A constant object is wrapped too, so it is not read as a node.
        let o = try SearchSpace(["x": .constant(["type": "uniform", "low": 0])])
        #expect(try SearchSpace(jsonText: o.json.serialized()) == o)
        #expect(try o.configuration(for: [:]) == ["x": ["type": "uniform", "low": 0]])
    }

    @Test func integerArgumentsAreWrittenAsIntegers() throws {
        let space = try SearchSpace(["r": HP.randint("r", -3, 4), "q": .qrandint(0, 20, 5), "u": HP.uniform("u", 0, 1)])
        let items = try #require(space.json["space"]?["items"])
        #expect(items["r"] == ["type": "randint", "label": "r", "low": -3, "high": 4])
        #expect(items["q"] == ["type": "tune.qrandint", "lower": 0, "upper": 20, "q": 5])
        #expect(items["u"] == ["type": "uniform", "label": "u", "low": 0.0, "high": 1.0])
    }

    @Test func jsonDefaultsAndLenientNumbers() throws {
        let text = Self.document(#"""
            {"type":"dict","items":{
              "r":{"type":"randint","label":"r","high":5},
              "n":{"type":"tune.randn"},
              "ui":{"type":"uniformint","label":"ui","low":1,"high":9},
              "qri":{"type":"tune.qrandint","lower":0,"upper":10},
              "ri":{"type":"tune.randint","lower":0.0,"upper":3.0},
              "c":{"type":"tune.choice","categories":[1,{"type":"const","value":{"a":1}}]}
            }}
            """#)
        let expected: SpaceNode = [
            "r": HP.randint("r", 5),
            "n": .randn(),
            "ui": HP.uniformint("ui", 1, 9),
            "qri": .qrandint(0, 10),
            "ri": .randint(0, 3),
            "c": .choice([1, .constant(["a": 1])]),
        ]
        #expect(try SearchSpace(jsonText: text) == SearchSpace(expected))
    }

    @Test func validationAlsoAppliesToJSONSpaces() {
        #expect(Self.jsonError(Self.document(#"{"type":"uniform","label":"x","low":1,"high":0}"#))
            == .invalidDistribution(label: "x", message: "uniform: low (1.0) must be less than high (0.0)"))
        #expect(Self.jsonError(Self.document(#"{"type":"dict","items":{"x":{"type":"tune.uniform","lower":NaN,"upper":1}}}"#))
            == .invalidDistribution(label: "x", message: "tune.uniform: lower must be a finite number, got nan"))
        #expect(Self.jsonError(Self.document(#"{"type":"dict","items":{"p":{"type":"pchoice","label":"p","options":["a","b"],"p":[0.5]}}}"#))
            == .invalidChoice(label: "p", message: "has 2 options but 1 probabilities"))
    }

    @Test(arguments: [
        (#"{"version":1,"space":1}"#, "$.format", #"expected "swifttune.space""#),
        (#"{"format":"other","version":1,"space":1}"#, "$.format", #"expected "swifttune.space""#),
        (#"{"format":"swifttune.space","space":1}"#, "$.version", "expected an integer version"),
        (#"{"format":"swifttune.space","version":"1","space":1}"#, "$.version", "expected an integer version"),
        (#"{"format":"swifttune.space","version":2,"space":1}"#, "$.version", "version 2 is not supported (this library reads version 1)"),
        (#"{"format":"swifttune.space","version":1}"#, "$", "missing 'space'"),
        (#"{"format":"swifttune.space","version":1,"space":1,"comment":"x"}"#, "$", "unknown key 'comment'"),
        ("[1]", "$", "expected an object"),
        ("3", "$", "expected an object"),
        (#"{"format":"swifttune.space","version":1,"space":[1]}"#, "$.space", "a list must be written"),
        ("{", "$", "invalid JSON at byte 1"),
        (#"{"format":"swifttune.space","format":"swifttune.space","version":1,"space":1}"#, "$", "invalid JSON at byte"),
    ])
    func malformedDocuments(text: String, path: String, message: String) {
        let error = Self.jsonError(text)
        guard case let .invalidJSON(p, m) = error else {
            Issue.record("expected invalidJSON, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(m.hasPrefix(message), "\(m)")
    }

    @Test(arguments: [
        (#"{"x":{"type":"gaussian","mu":0}}"#, "$.space.items.x", "unknown type 'gaussian'"),
        (#"{"x":{"type":"uniform","label":"x","low":0,"high":1,"sigma":1}}"#, "$.space.items.x", "unknown key 'sigma' for type 'uniform'"),
        (#"{"x":{"type":"tune.uniform","lower":0,"upper":1,"q":1}}"#, "$.space.items.x", "unknown key 'q' for type 'tune.uniform'"),
        (#"{"x":{"type":"tune.uniform","lower":0,"upper":1,"base":10}}"#, "$.space.items.x", "unknown key 'base' for type 'tune.uniform'"),
        (#"{"x":{"type":"tune.choice","options":[1]}}"#, "$.space.items.x", "unknown key 'options' for type 'tune.choice'"),
        (#"{"x":{"type":"dict","items":{},"label":"x"}}"#, "$.space.items.x", "unknown key 'label' for type 'dict'"),
        (#"{"x":{"type":"uniform","low":0,"high":1}}"#, "$.space.items.x", #"'uniform' needs a "label""#),
        (#"{"x":{"type":"randint","high":3}}"#, "$.space.items.x", #"'randint' needs a "label""#),
        (#"{"x":{"type":"normal","mu":0,"sigma":1}}"#, "$.space.items.x", #"'normal' needs a "label""#),
        (#"{"x":{"type":"choice","options":[1]}}"#, "$.space.items.x", #"'choice' needs a "label""#),
        (#"{"x":{"type":"pchoice","options":[1],"p":[1]}}"#, "$.space.items.x", #"'pchoice' needs a "label""#),
        (#"{"x":{"type":"uniform","label":1,"low":0,"high":1}}"#, "$.space.items.x", #""label" must be a string"#),
        (#"{"x":[1,2]}"#, "$.space.items.x", "a list must be written"),
        (#"{"x":{"a":1}}"#, "$.space.items.x", #"an object node needs a string "type""#),
        (#"{"x":{"type":1}}"#, "$.space.items.x", #"an object node needs a string "type""#),
        (#"{"x":{"type":"tune.uniform","lower":0}}"#, "$.space.items.x", #"'tune.uniform' needs "upper""#),
        (#"{"x":{"type":"uniform","label":"x","low":"0","high":1}}"#, "$.space.items.x", #""low" must be a number, got "0""#),
        (#"{"x":{"type":"randint","label":"x","low":0.5,"high":3}}"#, "$.space.items.x", #""low" must be an integer for 'randint', got 0.5"#),
        (#"{"x":{"type":"tune.qrandint","lower":0,"upper":10,"q":2.5}}"#, "$.space.items.x", #""q" must be an integer for 'tune.qrandint', got 2.5"#),
        (#"{"x":{"type":"dict","items":[1]}}"#, "$.space.items.x", #"'dict' needs an object "items""#),
        (#"{"x":{"type":"list","items":{}}}"#, "$.space.items.x", #"'list' needs an array "items""#),
        (#"{"x":{"type":"const"}}"#, "$.space.items.x", #"'const' needs a "value""#),
        (#"{"x":{"type":"choice","label":"c"}}"#, "$.space.items.x", #"'choice' needs an array "options""#),
        (#"{"x":{"type":"pchoice","label":"c","options":[1]}}"#, "$.space.items.x", #"'pchoice' needs an array "p" of probabilities"#),
        (#"{"x":{"type":"pchoice","label":"c","options":[1],"p":["1"]}}"#, "$.space.items.x", #""p" must hold numbers"#),
        (#"{"l":{"type":"list","items":[1,{"type":"bogus"}]}}"#, "$.space.items.l.items[1]", "unknown type 'bogus'"),
        (#"{"c":{"type":"choice","label":"c","options":[{"type":"dict","items":{"z":{"type":"nope"}}}]}}"#, "$.space.items.c.options[0].items.z", "unknown type 'nope'"),
        (#"{"k":{"type":"tune.choice","categories":["a",[1]]}}"#, "$.space.items.k.categories[1]", "a list must be written"),
    ])
    func malformedNodes(items: String, path: String, message: String) {
        let error = Self.jsonError(Self.document(#"{"type":"dict","items":"# + items + "}"))
        guard case let .invalidJSON(p, m) = error else {
            Issue.record("expected invalidJSON, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(m.hasPrefix(message), "\(m)")
    }

    @Test func nodeJSONReadsAPlainNode() throws {
        #expect(try SpaceNode(json: ["type": "tune.uniform", "lower": 0, "upper": 1]) == .uniform(0, 1))
        #expect(try SpaceNode(json: "relu") == "relu")
        #expect(try SpaceNode(json: 3) == 3)
        do {
            _ = try SpaceNode(json: [1], path: "$.here")
            Issue.record("a bare array was accepted")
        } catch {
            guard case .invalidJSON(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == "$.here")
        }
    }
}
