import Foundation
import RecurProtocol
import Testing

@Suite struct JSONValueTests {
    @Test(
        arguments: [
            ("0", .int(0)),
            ("-7", .int(-7)),
            ("9223372036854775807", .int(Int.max)),
            ("1.0", .int(1)),
            ("1e2", .int(100)),
            ("1.5", .double(1.5)),
            ("-0.25", .double(-0.25)),
            ("9223372036854775808", .double(9_223_372_036_854_775_808)),
            ("true", .bool(true)),
            ("null", .null),
            (#""é\n\u00e9""#, .string("é\né")),
            (#"[1,"a",null]"#, [1, "a", nil]),
            (#"{"a":{"b":[false]}}"#, ["a": ["b": [false]]]),
        ] as [(String, JSONValue)])
    func parsesEveryKind(text: String, expected: JSONValue) throws {
        #expect(try json(text) == expected)
    }

    @Test func roundTripKeepsIntegersExact() throws {
        let value: JSONValue = ["id": .int(Int.max), "x": .double(0.1), "list": [1, 2.5, "s", nil, true], "o": [:]]
        let text = try value.serialized()
        #expect(try json(text) == value)
        #expect(String(decoding: text, as: UTF8.self).contains("9223372036854775807"))
    }

    @Test func serializedIsCompactAndSorted() throws {
        let value: JSONValue = ["b": 1, "a": ["uri": "file:///x y"]]
        #expect(String(decoding: try value.serialized(), as: UTF8.self) == #"{"a":{"uri":"file:///x y"},"b":1}"#)
    }

    @Test func accessors() {
        let value: JSONValue = ["n": 3, "d": 2.0, "s": "t", "a": [true], "z": nil]
        #expect(value["n"]?.intValue == 3)
        #expect(value["d"]?.intValue == 2)
        #expect(value["n"]?.doubleValue == 3)
        #expect(value["s"]?.stringValue == "t")
        #expect(value["a"]?[0]?.boolValue == true)
        #expect(value["a"]?[1] == nil)
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["deeper"] == nil)
    }

    @Test func encodingAnEncodable() throws {
        let value = try JSONValue(encoding: Position(line: 3, character: 4))
        #expect(value == ["line": 3, "character": 4])
    }

    struct Sample: Codable, Equatable {
        var name: String
        var count: Int
        var ratio: Double
        var small: Int8?
        var tags: [String]
        var nested: [Nested]?
        var any: JSONValue?

        struct Nested: Codable, Equatable {
            var flag: Bool
        }
    }

    @Test func decoderMatchesJSONDecoder() throws {
        let text =
            #"{"name":"n","count":2,"ratio":3,"small":-8,"tags":["a","b"],"nested":[{"flag":true}],"any":{"k":[1]},"extra":0}"#
        let direct = try json(text).decode(Sample.self)
        let reference = try JSONDecoder().decode(Sample.self, from: Data(text.utf8))
        #expect(direct == reference)
        #expect(direct.ratio == 3)
        #expect(direct.any == ["k": [1]])
    }

    @Test func decoderReadsNullAsAbsentForOptionals() throws {
        let value = try json(#"{"name":"n","count":2.0,"ratio":1,"small":null,"tags":[],"nested":null,"any":null}"#)
        let sample = try value.decode(Sample.self)
        #expect(sample.small == nil && sample.nested == nil && sample.any == nil)
        #expect(sample.count == 2)
    }

    @Test(
        arguments: [
            (#"{"count":1,"ratio":1,"tags":[]}"#, "name: missing required field"),
            (#"{"name":5,"count":1,"ratio":1,"tags":[]}"#, "name: expected a string, found a number"),
            (#"{"name":null,"count":1,"ratio":1,"tags":[]}"#, "name: expected a string, found null"),
            (#"{"name":"n","count":1.5,"ratio":1,"tags":[]}"#, "count: expected an integer, found 1.5"),
            (#"{"name":"n","count":"1","ratio":1,"tags":[]}"#, "count: expected an integer, found a string"),
            (#"{"name":"n","count":1,"ratio":1,"small":300,"tags":[]}"#, "small: number 300 does not fit in Int8"),
            (#"{"name":"n","count":1,"ratio":1,"tags":["a",2]}"#, "tags[1]: expected a string, found a number"),
            (
                #"{"name":"n","count":1,"ratio":1,"tags":[],"nested":[{"flag":true},{}]}"#,
                "nested[1].flag: missing required field"
            ),
            (#"{"name":"n","count":1,"ratio":1,"tags":{}}"#, "tags: expected an array, found an object"),
            (#"[]"#, "expected an object, found an array"),
        ] as [(String, String)])
    func decoderErrorsNameTheField(text: String, message: String) throws {
        let error = #expect(throws: DecodingError.self) { try json(text).decode(Sample.self) }
        #expect(ResponseError.describe(decodingError: try #require(error)) == message)
    }
}
