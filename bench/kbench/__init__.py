"""kbench - the pieces of Kiln's benchmark (bench/run.sh): one module per job."""
