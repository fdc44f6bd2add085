# gdb script for make gdb: lodger's symbols are loaded from the ELF given on
# the command line; QEMU waits on :1234.
set architecture riscv:rv64
target remote :1234
break lodger_main
break lodger_fault
break panic
echo lodger: breakpoints at lodger_main, lodger_fault, panic. 'continue' to boot.\n
