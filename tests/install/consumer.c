/* A program outside the weft tree: builds against an installed weft and
 * runs a 2-rank all-reduce in one process. */
#include <stdio.h>
#include <weft.h>

int main(void)
{
    weft_comm_t comms[2];
    float in[2][3] = {{1, 2, 3}, {10, 20, 30}}, out[2][3];
    if (weft_comm_init_all(2, NULL, comms) != WEFT_OK) {
        fprintf(stderr, "init: %s\n", weft_last_error());
        return 1;
    }
    weft_group_start();
    for (int r = 0; r < 2; r++)
        weft_allreduce(in[r], out[r], 3, WEFT_FLOAT32, WEFT_SUM, comms[r], NULL);
    if (weft_group_end() != WEFT_OK) {
        fprintf(stderr, "allreduce: %s\n", weft_last_error());
        return 1;
    }
    for (int r = 0; r < 2; r++) {
        weft_comm_destroy(comms[r]);
        if (out[r][0] != 11 || out[r][1] != 22 || out[r][2] != 33) {
            fprintf(stderr, "rank %d: wrong sum\n", r);
            return 1;
        }
    }
    printf("consumer: ok\n");
    return 0;
}
