/* Target: the search-space JSON (st_space_from_json). A space that parses writes itself back
 * (st_space_to_json) as JSON that parses again, to a space of as many parameters. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    st_space *space = NULL;
    if (fuzz_status(st_space_from_json(text, &space)) == ST_OK) {
        char *json = NULL;
        FUZZ_REQUIRE(fuzz_status(st_space_to_json(space, &json)) == ST_OK);
        st_space *again = NULL;
        FUZZ_REQUIRE(fuzz_status(st_space_from_json(json, &again)) == ST_OK);
        FUZZ_REQUIRE(st_space_parameter_count(again) == st_space_parameter_count(space));
        st_space_free(again);
        st_free(json);
        st_space_free(space);
    } else {
        FUZZ_REQUIRE(space == NULL);
    }
    free(text);
    return 0;
}
